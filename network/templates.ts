import type { ImportCounts } from './import-result.ts'
import { TIERS, type Tier, type TierCounts } from './types.ts'
import { BODY_LABELS, COLUMN_LABELS, KIND_LABELS, ROLE_LABELS } from './vocabulary.ts'

/** Every Chinese sentence the network domain shows a user, kept here so wording is reviewed in one place. */

const list = (labels: Record<string, string>) => Object.values(labels).join('、')

/** Long or hostile values are cut before they are echoed back in a message. */
function quote(value: string): string {
  const chars = [...value]
  const shown = chars.length > 30 ? `${chars.slice(0, 30).join('')}…` : value
  return `「${shown.replace(/[\p{Cc}\p{Cf}]/gu, '�')}」`
}

export const reasons = {
  lineTooLong: (limitKiB: number) => `行过长（超过 ${limitKiB} KiB），未读取`,
  recordTooLong: (limitKiB: number) => `记录过长（超过 ${limitKiB} KiB），未读取`,
  invalidUtf8: () => '不是有效的 UTF-8 编码（请用 UTF-8 保存文件）',
  unclosedQuote: () => '引号未闭合',
  noHeader: () => `文件为空，缺少表头（${Object.values(COLUMN_LABELS).join(',')}）`,
  unknownColumn: (name: string) =>
    `未知的列${quote(name)}（可用：${Object.values(COLUMN_LABELS).join('、')}）`,
  duplicateColumn: (name: string) => `列${quote(name)}重复`,
  missingPathColumn: () => '表头缺少「路径」列',
  tooManyFields: (expected: number, got: number) => `字段数 ${got} 多于表头的 ${expected} 列`,
  emptyPath: () => '路径为空',
  emptyName: (position: number) => `路径第 ${position} 级的名称为空`,
  controlChars: (what: string, value: string) => `${what}${quote(value)}含控制字符或不可见字符`,
  tooLong: (what: string, value: string, max: number) => `${what}${quote(value)}超过 ${max} 个字符`,
  tooManyTiers: (tiers: number) => `层级超过 5 级（共 ${tiers} 级）`,
  duplicatePath: (firstLine: number) => `路径重复（第 ${firstLine} 行已定义）`,
  unknownParent: (parent: string) => `未知上级${quote(parent)}（文件和数据库中都没有）`,
  tierSkipped: (parent: string, nearest: string) =>
    `跳级：上级${quote(parent)}未定义（最近的已知上级是${quote(nearest)}）`,
  badBody: (value: string) => `阵地${quote(value)}无效（可用：${list(BODY_LABELS)}）`,
  emptyTopic: () => '群名为空',
  badKind: (topic: string, value: string) =>
    `群${quote(topic)}的类型${quote(value)}无效（可用：${list(KIND_LABELS)}）`,
  topicInFile: (topic: string, line: number) => `群${quote(topic)}已用于第 ${line} 行的单位`,
  topicInDb: (topic: string, unitPath: string) => `群${quote(topic)}已属于单位${quote(unitPath)}`,
  badMember: (value: string) => `成员${quote(value)}格式应为 姓名:角色:微信号`,
  badRole: (value: string) => `角色${quote(value)}无效（可用：${list(ROLE_LABELS)}）`,
  emptyWechatId: (name: string) => `成员${quote(name)}缺少微信号`,
  badWechatId: (value: string) => `微信号${quote(value)}含空白或控制字符`,
  wechatIdTwoNames: (wechatId: string, line: number, first: string, second: string) =>
    `微信号${quote(wechatId)}在第 ${line} 行是${quote(first)}，此处是${quote(second)}`,
}

/** What each field is called when its value is wrong. */
export const fieldNames = {
  unit: '名称',
  topic: '群名',
  bot: '机器人',
  member: '姓名',
  wechatId: '微信号',
}

/** What each tier is called wherever a user reads it: network summaries, notice receipts. */
export const TIER_LABELS: Readonly<Record<Tier, string>> = {
  1: '区',
  2: '街道',
  3: '社区',
  4: '网格',
  5: '楼栋',
}

const numberFormat = new Intl.NumberFormat('en-US')
export const formatCount = (n: number) => numberFormat.format(n)

/** A bot account's state (bot_accounts.state), as `quanqun status` and the console show it. */
export const ACCOUNT_STATE_NAMES = {
  online: '在线',
  offline: '离线',
  cooling: '冷却中',
  banned: '已封禁',
} as const

export function errorLine(error: { line: number; reason: string }): string {
  return `第 ${error.line} 行: ${error.reason}`
}

const COUNT_LABELS: Record<keyof ImportCounts, string> = {
  units: '单位',
  groups: '群',
  botAccounts: '机器人账号',
  members: '成员',
  roles: '角色',
}

/** "单位 0 新增 / 32 未变"; the 更新 part only when something was updated. */
export function importSummary(result: {
  created: ImportCounts
  updated: ImportCounts
  unchanged: ImportCounts
}): string[] {
  return (Object.keys(COUNT_LABELS) as (keyof ImportCounts)[]).map((key) => {
    const updated = result.updated[key] > 0 ? ` / ${formatCount(result.updated[key])} 更新` : ''
    return `${COUNT_LABELS[key]} ${formatCount(result.created[key])} 新增${updated} / ${formatCount(result.unchanged[key])} 未变`
  })
}

export const importMessages = {
  done: (ms: number) => `导入完成，用时 ${(ms / 1000).toFixed(2)} 秒`,
  refused: (count: number) => `导入被拒绝：${formatCount(count)} 处错误，未写入任何数据`,
  readFailed: (file: string, why: string) => `无法读取文件 ${file}: ${why}`,
  migrated: (kind: string) => `数据库已迁移 (${kind})`,
}

/** Counts of the tiers at and below the root: tiers above it are always 0 and would only confuse. */
function tierList(counts: TierCounts, fromTier: number): string {
  return TIERS.filter((t) => t >= fromTier)
    .map((t) => `${TIER_LABELS[t]} ${formatCount(counts[t])}`)
    .join('、')
}

const total = (counts: TierCounts) => TIERS.reduce((sum, t) => sum + counts[t], 0)

/** "九龙坡区：区 1、街道 22、社区 150、网格 1,100、楼栋 8,200（群 11,181）" and the groups per tier. */
export function subtreeSummary(
  path: string,
  tier: number,
  units: TierCounts,
  groups: TierCounts,
): string[] {
  return [
    `${path}：${tierList(units, tier)}（群 ${formatCount(total(groups))}）`,
    `群：${tierList(groups, tier)}`,
  ]
}

export const showMessages = {
  notFound: (path: string) => `未找到单位${quote(path)}`,
}

export const generateMessages = {
  written: (
    file: string,
    d: { units: number; groups: number; botAccounts: number; members: number },
    bytes: number,
  ) =>
    `已生成 ${file}：单位 ${formatCount(d.units)}、群 ${formatCount(d.groups)}、机器人账号 ${formatCount(d.botAccounts)}、成员 ${formatCount(d.members)}（${formatCount(bytes)} 字节）`,
  outNeedsFile: '--out 需要文件名',
  badGroups: (value: string) => `--groups 应为 1 到 1,000,000 之间的整数，收到 ${value}`,
}

export const usageMessages = {
  importNeedsFile: '用法: quanqun network import <名册.xlsx 或 .csv>',
  showNeedsPath: '用法: quanqun network show <路径>',
}
