/**
 * Every line the Open311 API says: error descriptions (read by the integrator's developer, named
 * by the field at fault) and the notices of a created request.
 */
export const open311Texts = {
  noKey: '缺少 api_key（查询参数、表单字段或 X-Api-Key 请求头）',
  badKey: 'api_key 无效或已吊销',
  outOfScope: (path: string) => `此 api_key 只能访问「${path}」及其下级单位`,
  unknownService: (code: string) => `没有服务类别 service_code=${code}（见 services.json）`,
  unknownRequest: (id: string) => `没有诉求 ${id}`,
  notFound: '没有这个接口（见 services.json、requests.json、requests/{id}.json）',
  tooLarge: (kb: number) => `请求体超过 ${kb} KB`,
  badJson: '请求体不是合法的 JSON 对象',
  badContentType:
    '请求体须为 application/json、application/x-www-form-urlencoded 或 multipart/form-data',
  fileNotAccepted: (field: string) => `字段 ${field} 不接受文件上传`,
  badField: (field: string, why: string) => `字段 ${field} 有误：${why}`,
  missingUnit: '缺少 unit（诉求所在单位路径，例如「九龙坡区/石桥铺街道/科园社区」）',
  unknownUnit: (path: string) => `没有单位「${path}」`,
  limited: (max: number, minutes: number) =>
    `同一市民 ${minutes} 分钟内最多提交 ${max} 件诉求，请稍后再试`,
  duplicate: (code: string) => `与该市民尚未办结的诉求 ${code} 相同，未重复立单`,
  placed: (unit: string) => `已受理，由${unit}办理`,
  internal: '服务器暂时无法处理，请稍后重试',
  /** What a request's text carries after the need, so the worker sees where and whom to contact. */
  address: (a: string) => `地址 ${a}`,
  email: (e: string) => `邮箱 ${e}`,
  /** The resident's name when the request gives none. */
  citizen: '市民',
  serviceDescription: (platform: string, unit: string, minutes: number) =>
    `${platform}；由${unit}办理，${minutes} 分钟内接单`,
} as const

/** Where each tier's orders are handled, as services.json describes a category. */
export const HANDLED_AT: Readonly<Record<number, string>> = {
  1: '区文明实践中心',
  2: '街道文明实践所',
  3: '社区实践站',
  4: '网格实践点',
}

/** The `quanqun api-key` commands. */
export const apiKeyTexts = {
  createUsage: '用法: api-key create <名称> [--unit <路径>]',
  revokeUsage: '用法: api-key revoke <名称>',
  badName: '名称须为 1 到 64 个字母、数字、汉字或 _ . -',
  exists: (name: string) => `已有名为「${name}」的密钥（吊销后名称也不能再用）`,
  unknownUnit: (path: string) => `未找到单位「${path}」`,
  created: (name: string, scope: string | null) =>
    `已为「${name}」创建 Open311 密钥（${scope ? `只能访问 ${scope} 及其下级` : '全区'}）：`,
  once: '密钥只显示这一次，请妥善交给对接方；丢失只能吊销后重建。',
  none: '还没有 Open311 密钥。',
  line: (k: { name: string; scope: string; created: string; revoked: string | null }) =>
    `${k.name}  ${k.scope}  创建于 ${k.created}${k.revoked ? `  已吊销 ${k.revoked}` : ''}`,
  revoked: (name: string) => `已吊销「${name}」的密钥`,
  notLive: (name: string) => `没有名为「${name}」的有效密钥`,
} as const
