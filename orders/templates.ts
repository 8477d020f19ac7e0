/**
 * Every Chinese line of the service loop, so wording is reviewed and changed in one place.
 * Residents are often elderly: short sentences, the code repeated, the next thing to type quoted.
 */
import type { OrderStatus } from '../db/schema/orders.ts'
import { TIER_LABELS } from '../network/templates.ts'
import type { Tier } from '../network/types.ts'

export const statusName: Readonly<Record<OrderStatus, string>> = {
  placed: '待派单',
  dispatched: '已派单待接单',
  accepted: '办理中',
  done: '已办结待评价',
  rated: '已评价结单',
  returned: '已退回待重派',
  escalated: '已上报待接单',
  cancelled: '已撤销',
}

const eventName: Readonly<Record<string, string>> = {
  placed: '点单',
  dispatched: '派单',
  accepted: '接单',
  done: '办结',
  rated: '评价',
  returned: '退单',
  escalated: '上报',
  cancelled: '撤单',
  reopened: '重新办理',
  recategorized: '改类',
  unanswered: '未选类别，转站点分派',
}

const BODY_SUFFIX: Readonly<Record<string, string>> = {
  centre: '文明实践中心',
  institute: '新时代文明实践所',
  station: '实践站',
  point: '实践点',
}

/**
 * How residents know a unit: "科园社区实践站", "科园社区第一网格实践点" (a grid's name alone,
 * 第一网格, exists in every community, so its community goes in front).
 */
export function unitLabel(unit: { path: string; tier: number; body?: string | null }): string {
  const names = unit.path.split('/')
  const own = unit.tier >= 4 ? names.slice(-2).join('') : names.at(-1)!
  return own + (unit.body ? (BODY_SUFFIX[unit.body] ?? '') : '')
}

/** Why an action was refused; the state machine picks one, the handler says it. */
export const refusals = {
  cannot: (code: string) => `单号 ${code} 当前不能这样操作。`,
  alreadyDone: (code: string) => `单号 ${code} 已办结，不能再改动。`,
  alreadyCancelled: (code: string) => `单号 ${code} 已撤销。`,
  alreadyRated: (code: string) => `单号 ${code} 已评价过了，谢谢您！`,
  notDoneYet: (code: string) => `单号 ${code} 还没有办结，办结后才能评价。`,
  badStars: '评价请用 1 到 5 星，例如「评价 A0042 5」。',
  onlyResidentRates: (code: string) => `只有点单的居民本人可以评价 ${code}。`,
  onlyResidentCancels: (code: string) => `只有点单的居民本人可以撤销 ${code}。`,
  acceptFirst: (code: string) => `单号 ${code} 还没有接单，请先发送「接单 ${code}」。`,
  onlyAssigneeCompletes: (code: string) => `只有接单人可以报完成 ${code}。`,
  notYoursToReturn: (code: string) => `只有已派给您的单才能退单，${code} 不是。`,
  youAccepted: (code: string) => `您已接下 ${code}，完成后请发送「完成 ${code}」。`,
  takenByOther: (code: string) => `单号 ${code} 已由他人接单。`,
  assignedToOther: (code: string) =>
    `单号 ${code} 已派给其他人；如需改派，请站点人员「派单 ${code} @姓名」。`,
  notYourArea: (code: string) => `单号 ${code} 不在您负责的范围内。`,
  dispatchNotStaff: (code: string) => `只有负责该单的站点人员可以派 ${code}。`,
  escalateNotStaff: (code: string) => `只有负责该单的站点人员可以上报 ${code}。`,
  recategorizeNotStaff: (code: string) =>
    `只有负责该单、也负责新类别办理单位的站点人员可以给 ${code} 改类。`,
  atTop: (code: string) => `单号 ${code} 已在区文明实践中心，无法再上报。`,
  notAWorkerHere: (name: string) => `${name} 不是该单所在单位的网格员或志愿者，不能派给 ta。`,
  ownOrderAssignee: (code: string, name: string) =>
    `${code} 是${name}本人点的单，不能派给本人办理，请派给其他人。`,
  ownOrderAccept: (code: string) => `${code} 是您本人点的单，不能自己接单，请等待其他人办理。`,
} as const

export interface OrderLine {
  code: string
  categoryName: string
  status: OrderStatus
  text: string
  overdue: boolean
}

/** One order in a list: "A0042 公共设施维修 办理中（超时）：楼道灯坏了". */
export function orderLine(o: OrderLine): string {
  const text = o.text.length > 30 ? `${o.text.slice(0, 30)}…` : o.text
  return `${o.code} ${o.categoryName} ${statusName[o.status]}${o.overdue ? '（超时）' : ''}：${text}`
}

/** Replies to the person who typed the command. */
export const replies = {
  placed: (code: string, category: string, unit: string, assignee?: string) =>
    `已收到您的点单 ${code}（${category}），由${unit}办理${assignee ? `，已派给${assignee}` : ''}。` +
    `发送「进度 ${code}」可随时查看。`,
  placedUnsorted: (code: string, unit: string) =>
    `已收到您的求助 ${code}，已交${unit}分派办理。发送「进度 ${code}」可随时查看，发送「菜单」可看服务类别。`,
  duplicate: (code: string) => `已有相同点单 ${code}，正在办理中，发送「进度 ${code}」查看。`,
  rateLimited: (max: number, minutes: number) =>
    `您 ${minutes} 分钟内已点单 ${max} 次，请稍后再试；急事请直接联系网格员。`,
  notFound: (code: string) => `未找到单号 ${code}，请核对后再试。`,
  accepted: (code: string) => `已接单 ${code}。办完请发送「完成 ${code} 用时1小时」。`,
  done: (code: string) => `${code} 已办结，已请居民评价。`,
  returned: (code: string) => `${code} 已退回站点重新派单。`,
  cancelled: (code: string) => `点单 ${code} 已撤销。`,
  rated: (code: string, stars: number) => `感谢您的评价！${code} 已评 ${stars} 星，本单已办结。`,
  reopened: (code: string) => `抱歉没让您满意，${code} 已交回重新办理。`,
  dispatched: (code: string, name: string) => `已将 ${code} 派给${name}。`,
  /** The classifier was unsure: the order is kept, the resident picks. */
  asking: (code: string, names: readonly string[]) =>
    `您要办的是：${names.map((n, i) => `${i + 1} ${n}`).join(' ')}，回复数字即可（单号 ${code} 已记下）。`,
  recategorized: (code: string, category: string, unit: string, assignee?: string) =>
    `${code} 已改为「${category}」，由${unit}办理${assignee ? `，已派给${assignee}` : ''}。`,
  unknownCategory: (name: string) => `没有「${name}」这个服务类别，发送「菜单」可看全部类别。`,
  sameCategory: (code: string, category: string) => `${code} 已是「${category}」。`,
  escalated: (code: string, unit: string) => `已将 ${code} 上报至${unit}。`,
  unknownAssignee: (name: string) => `未找到成员「${name}」，请用通讯录里的姓名或微信号。`,
  ambiguousAssignee: (name: string, n: number) =>
    `「${name}」有 ${n} 位同名成员，请改用微信号，例如「派单 A0042 @wxid_xxx」。`,
  noTasks: '您目前没有待办的工单。',
  tasks: (lines: readonly string[], waiting: readonly string[]) =>
    [
      ...(lines.length > 0
        ? [`您的待办工单（${lines.length}）：`, ...lines]
        : ['您目前没有待办的工单。']),
      ...(waiting.length > 0 ? ['本单位待接单：', ...waiting] : []),
    ].join('\n'),
  progressHeader: (code: string, category: string, status: OrderStatus, unit: string) =>
    `${code} ${category}｜${statusName[status]}｜${unit}`,
  menu: (platforms: readonly { platform: string; names: readonly string[] }[]) =>
    [
      '可点的服务：',
      ...platforms.map((p) => `· ${p.platform}：${p.names.join('、')}`),
      '发送「点单 需求内容」即可，例如「点单 楼道灯坏了」。',
    ].join('\n'),
} as const

/** What the bot tells a unit's workers or staff group, and the resident in their group. */
export const notices = {
  /** What a forwarded picture is, for logs and the send hooks (the file itself is what is said). */
  attachment: (code: string, name: string) => `【附件】${code} 居民发来的文件：${name}`,
  dispatch: (o: {
    code: string
    category: string
    resident: string
    where: string
    text: string
    assignee?: string
    acceptMinutes: number
  }) =>
    [
      `【派单】${o.code} ${o.category}${o.assignee ? ` @${o.assignee}` : ''}`,
      `居民：${o.resident}（${o.where}）`,
      `内容：${o.text}`,
      o.assignee
        ? `请在 ${o.acceptMinutes} 分钟内回复「接单 ${o.code}」；办不了请「退单 ${o.code} 原因」。`
        : `本单位网格员、志愿者均可回复「接单 ${o.code}」，请在 ${o.acceptMinutes} 分钟内接单。`,
    ].join('\n'),
  unstaffed: (o: {
    code: string
    category: string
    resident: string
    where: string
    text: string
  }) =>
    [
      `【待派单】${o.code} ${o.category}`,
      `居民：${o.resident}（${o.where}）`,
      `内容：${o.text}`,
      `本单位暂无可派人员，请站点人员「派单 ${o.code} @姓名」或「接单 ${o.code}」。`,
    ].join('\n'),
  unsorted: (o: { code: string; resident: string; where: string; text: string }) =>
    [
      `【待分派】${o.code} 未识别服务类别`,
      `居民：${o.resident}（${o.where}）`,
      `内容：${o.text}`,
      `请站点人员看过后「派单 ${o.code} @姓名」，或自己「接单 ${o.code}」。`,
    ].join('\n'),
  escalated: (o: {
    code: string
    category: string
    from: string
    to: string
    why: string
    text: string
  }) =>
    [
      `【上报】${o.code} ${o.category}：${o.why}（原由${o.from}办理），现由${o.to}负责。`,
      `内容：${o.text}`,
      `请回复「接单 ${o.code}」或「派单 ${o.code} @姓名」。`,
    ].join('\n'),
  returned: (code: string, who: string, reason: string) =>
    `【退单】${code} 被${who}退回：${reason}。请站点人员「派单 ${code} @姓名」重新派单。`,
  reopened: (
    code: string,
    stars: number,
    comment: string | undefined,
    assignee: string | undefined,
  ) =>
    `【重办】${code} 居民评价 ${stars} 星${comment ? `：${comment}` : ''}。` +
    (assignee ? `请 @${assignee} 回访处理，回复「接单 ${code}」。` : `请站点人员重新派单。`),
  unreached: (code: string, name: string, wechatId: string) =>
    `【提醒】${code} 未能私信通知${name}（${wechatId}），请电话联系，或「派单 ${code} @姓名」改派。`,
  cancelled: (code: string) => `【撤单】${code} 居民已撤单，无需再办。`,
  pointsPosted: (
    code: string,
    stars: number | null,
    name: string,
    points: number,
    balance: number,
  ) =>
    `${stars === null ? `【结单】${code} 居民未评价，已自动结单。` : `【评价】${code} 居民评价 ${stars} 星。`}` +
    `${name} 获爱心积分 ${points} 分，累计 ${balance} 分。`,
  pointsHeld: (code: string, stars: number | null, name: string, points: number) =>
    `${stars === null ? `【结单】${code} 居民未评价，已自动结单。` : `【评价】${code} 居民评价 ${stars} 星。`}` +
    `${name} 本单爱心积分 ${points} 分超出每日上限，待站点审核后入账。`,
  toResident: {
    accepted: (resident: string, code: string, worker: string) =>
      `@${resident} 您的点单 ${code} 已由${worker}接单，正在办理。`,
    done: (resident: string, code: string, worker: string, note: string | undefined) =>
      `@${resident} 您的点单 ${code} 已由${worker}办结${note ? `（${note}）` : ''}。` +
      `请发送「评价 ${code} 5」打分（1-5 星），您的评价会计入志愿者的爱心积分。`,
    escalated: (resident: string, code: string, unit: string) =>
      `@${resident} 您的点单 ${code} 已转至${unit}负责办理，我们会尽快处理。`,
  },
  digest: (unit: string, open: number, overdue: number, lines: readonly string[], more: number) =>
    [
      `【每日工单】${unit}：未办结 ${open} 单，其中超时 ${overdue} 单。`,
      ...lines,
      ...(more > 0 ? [`…另有 ${more} 单，发送「我的任务」或在后台查看。`] : []),
    ].join('\n'),
} as const

/** The auto-close's timeline note: "居民 7 天未评价，自动结单". */
export function autoCloseNote(minutes: number): string {
  const days = minutes / (24 * 60)
  const span = Number.isInteger(days) ? `${days} 天` : `${Math.round(minutes / 60)} 小时`
  return `居民 ${span}未评价，自动结单`
}

/** Why an escalation happened, as the timeline and the upper tier read it. */
export const escalationWhy = {
  acceptOverdue: (minutes: number) => `超过 ${minutes} 分钟无人接单`,
  completeOverdue: (minutes: number) => `超过 ${minutes} 分钟未办结`,
} as const

/** Timeline line: "06-01 10:00 林秀英 点单：楼道灯坏了". */
export function timelineLine(at: string, actor: string, type: string, note: string | null): string {
  return `${at} ${actor} ${eventName[type] ?? type}${note ? `：${note}` : ''}`
}

export const SYSTEM_ACTOR_NAME = '系统'

export const pointsTexts = {
  issuance: 'issuance',
  earned: (code: string, hours: number) => `完成 ${code}，志愿服务 ${hours} 小时`,
  reversal: (txId: string, reason: string) => `冲正 ${txId}：${reason}`,
} as const

/** What the `quanqun orders …` and `quanqun points …` commands print. */
export const cliTexts = {
  ordersNone: '没有符合条件的工单。',
  ordersLine: (o: {
    code: string
    status: OrderStatus
    category: string
    handlingPath: string
    assignee: string | null
    created: string
    overdue: boolean
  }) =>
    [
      o.code,
      statusName[o.status],
      o.category || '-',
      o.handlingPath,
      o.assignee ?? '未派',
      o.created,
      o.overdue ? '超时' : '',
    ]
      .join('  ')
      .trimEnd(),
  ordersTotal: (n: number, overdue: number) => `共 ${n} 单，其中超时 ${overdue} 单`,
  unknownUnit: (path: string) => `未找到单位「${path}」`,
  listUsage: '用法: orders list [--overdue] [--unit <路径>] [--all]',
  catalogLoaded: (n: number, file: string) => `服务目录已载入：${n} 个类别（${file}）`,
  pointsUsage: '用法: points balance <微信号或姓名>',
  reverseUsage: '用法: points reverse <交易号> <原因>',
  memberNotFound: (who: string) => `未找到成员「${who}」`,
  balance: (name: string, wechatId: string, balance: number) =>
    `${name}（${wechatId}）爱心积分余额 ${balance} 分`,
  statementLine: (at: string, amount: number, reason: string, txId: string) =>
    `  ${at}  ${amount > 0 ? '+' : ''}${amount}  ${reason}  [${txId}]`,
  reversed: (txId: string) => `已冲正 ${txId}`,
  alreadyReversed: (txId: string) => `${txId} 早已冲正，未重复记账`,
  unknownTx: (txId: string) => `未找到交易 ${txId}`,
  reviewNone: '没有待审核的爱心积分。',
  reviewLine: (p: {
    id: number
    name: string
    wechatId: string
    amount: number
    reason: string
    at: string
  }) => `#${p.id}  ${p.at}  ${p.name}（${p.wechatId}）  +${p.amount}  ${p.reason}`,
  reviewTotal: (n: number, amount: number) => `共 ${n} 笔待审核，合计 ${amount} 分`,
  decideUsage: (verb: string) => `用法: points ${verb} <编号> [说明]`,
  pendingNotFound: (id: number) => `未找到待审核记账 #${id}`,
  pendingDecided: (id: number, status: string) => `#${id} 已处理过（${status}），未重复记账`,
  approved: (id: number, name: string, amount: number, balance: number) =>
    `已批准 #${id}：${name} 入账 ${amount} 分，余额 ${balance} 分`,
  rejected: (id: number, name: string, amount: number) =>
    `已驳回 #${id}：${name} 的 ${amount} 分不入账`,
} as const

/** 三率 as the CLI prints them and the dashboard's table and chart label them. */
export const ratesTexts = {
  headers: [
    '排名',
    '单位',
    '层级',
    '点单数',
    '按时响应数',
    '响应率',
    '办结数',
    '办结率',
    '评价数',
    '满意数',
    '满意率',
  ] as readonly string[],
  rateNames: ['响应率', '办结率', '满意率'] as const,
  tierName: (tier: number) => TIER_LABELS[tier as Tier] ?? String(tier),
  period: (from: string, to: string) => `统计期：${from} 至 ${to}（按点单时间）`,
  line: (r: {
    rank: number
    tier: string
    path: string
    placed: number
    responded: number
    completed: number
    rated: number
    satisfied: number
    response: string
    completion: string
    satisfaction: string
  }) =>
    `${r.tier} 第${r.rank}名  ${r.path}  点单 ${r.placed}  ` +
    `响应率 ${r.response}（${r.responded}/${r.placed}）  ` +
    `办结率 ${r.completion}（${r.completed}/${r.placed}）  ` +
    `满意率 ${r.satisfaction}（${r.satisfied}/${r.rated}）`,
  none: '所选范围内没有单位。',
  usage:
    '用法: orders rates [--unit <路径>] [--from 2025-06-01] [--to 2025-06-30] [--tier 1,2,3,4] [--out 三率.csv|.xlsx|.svg]',
  badDate: (flag: string, value: string) => `--${flag} 不是日期：「${value}」（例如 2025-06-01）`,
  badRange: '--from 须早于 --to。',
  badTier: (value: string) => `--tier 须为 1 到 5 的层级，用逗号分隔：「${value}」`,
  chartTitle: '三率排名',
  written: (path: string, n: number) => `已写入 ${path}（${n} 个单位）`,
} as const
