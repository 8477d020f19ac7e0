/**
 * The keyword grammar as data: which words start which command, what arguments follow, who may
 * use it. parse-command.ts and arguments.ts interpret this table; adding a synonym or a command is
 * an edit here.
 */
import { limits } from '../../core/limits.ts'
import type { CommandOf, Intent, RequiredRole, Tier } from './types.ts'

type Fields<I extends Intent> = Omit<CommandOf<I>, 'intent'>
type FieldName<I extends Intent> = keyof Fields<I> & string

/** One argument, read left to right after the keyword. */
export type ArgSpec<F extends string = string> =
  /** An order code such as A0042. */
  | { kind: 'orderCode'; name: F }
  /** A notice code such as N12. */
  | { kind: 'noticeCode'; name: F }
  /** A notice code, or an order code that turns the command into `orderIntent` (取消 A0042). */
  | { kind: 'anyCode'; name: F; orderIntent: 'cancelOrder' }
  /** 1-5 stars: "5", "5星", "5分", "五星", "★★★★★", "满分". */
  | { kind: 'stars'; name: F }
  /** The rest of the message, line breaks kept; `max` in code points. */
  | { kind: 'text'; name: F; optional: boolean; max: number }
  /** "@name": the name without '@', up to the next whitespace. */
  | { kind: 'mention'; name: F }
  /** `[范围] [仅<层级>…] <正文>`: fills scope, tiers and text. */
  | { kind: 'noticeBody' }
  /** A unit path, names joined by '/'. */
  | { kind: 'unitPath'; name: F }

/**
 * What may follow the keyword with no separator in between ("点单修水管"). This is what keeps
 * ordinary chat silent: "完成了吗" or "通知大家" start with a keyword but are not commands.
 * - text: anything except a sentence particle (了/吗/呢…)
 * - code: something shaped like a code (a letter then a digit)
 * - bracket: a 【scope】 or [scope]
 * - unit: a unit name or path (contains '/' or '>', or ends with a unit suffix)
 * - nothing: only particles and punctuation ("菜单？", "我的任务呢")
 * A keyword followed by nothing but punctuation is always an attempt at the command.
 */
export type Glue = 'text' | 'code' | 'bracket' | 'unit' | 'nothing'

export type GrammarEntry = {
  [I in Intent]: {
    intent: I
    /**
     * The first is the canonical keyword; the rest are synonyms and common typos. Traditional
     * and variant characters need not be listed: `keywordVariants` folds them when matching, and
     * spaces between a keyword's characters are allowed ("点 单").
     */
    keywords: readonly string[]
    /** Fields the keyword itself decides (the verb of an order). */
    fixed?: Partial<Fields<I>>
    args: readonly ArgSpec<FieldName<I>>[]
    glue: Glue
  }
}[Intent]

const reason = (name: 'reason') =>
  ({ kind: 'text', name, optional: false, max: limits.text }) as const

export const grammar: readonly GrammarEntry[] = [
  // residents
  {
    intent: 'order',
    keywords: ['点单'],
    fixed: { verb: '点单' },
    args: [{ kind: 'text', name: 'text', optional: false, max: limits.text }],
    glue: 'text',
  },
  {
    intent: 'order',
    keywords: ['求助'],
    fixed: { verb: '求助' },
    args: [{ kind: 'text', name: 'text', optional: false, max: limits.text }],
    glue: 'text',
  },
  {
    intent: 'order',
    keywords: ['报修', '保修'], // 保修 is the homophone people type for 报修
    fixed: { verb: '报修' },
    args: [{ kind: 'text', name: 'text', optional: false, max: limits.text }],
    glue: 'text',
  },
  {
    intent: 'progress',
    keywords: ['进度', '查进度', '查询进度', '查单'],
    args: [{ kind: 'orderCode', name: 'code' }],
    glue: 'code',
  },
  {
    intent: 'rate',
    keywords: ['评价', '评单', '评分', '打分'],
    args: [
      { kind: 'orderCode', name: 'code' },
      { kind: 'stars', name: 'stars' },
      { kind: 'text', name: 'comment', optional: true, max: limits.text },
    ],
    glue: 'code',
  },
  {
    intent: 'cancelOrder',
    keywords: ['撤单'],
    args: [{ kind: 'orderCode', name: 'code' }],
    glue: 'code',
  },
  { intent: 'menu', keywords: ['菜单', '服务菜单'], args: [], glue: 'nothing' },
  { intent: 'help', keywords: ['帮助', '使用说明', 'help'], args: [], glue: 'nothing' },
  {
    intent: 'verify',
    keywords: ['核验', '核实', '辨真伪', '查真伪'],
    args: [{ kind: 'text', name: 'text', optional: true, max: limits.noticeText }],
    glue: 'text',
  },
  // grid workers and volunteers
  {
    intent: 'accept',
    keywords: ['接单', '领单', '抢单'],
    args: [{ kind: 'orderCode', name: 'code' }],
    glue: 'code',
  },
  {
    intent: 'complete',
    keywords: ['完成', '已完成', '办结', '完工'],
    args: [
      { kind: 'orderCode', name: 'code' },
      { kind: 'text', name: 'note', optional: true, max: limits.text },
    ],
    glue: 'code',
  },
  {
    intent: 'returnOrder',
    keywords: ['退单', '退回'],
    args: [{ kind: 'orderCode', name: 'code' }, reason('reason')],
    glue: 'code',
  },
  { intent: 'myTasks', keywords: ['我的任务', '我的工单', '任务列表'], args: [], glue: 'nothing' },
  // station staff
  {
    intent: 'dispatch',
    keywords: ['派单', '指派', '分派'],
    args: [
      { kind: 'orderCode', name: 'code' },
      { kind: 'mention', name: 'assignee' },
    ],
    glue: 'code',
  },
  {
    intent: 'escalate',
    keywords: ['上报'],
    args: [{ kind: 'orderCode', name: 'code' }, reason('reason')],
    glue: 'code',
  },
  {
    intent: 'recategorize',
    keywords: ['改类', '改分类', '更改类别'],
    args: [
      { kind: 'orderCode', name: 'code' },
      { kind: 'text', name: 'category', optional: false, max: 40 },
    ],
    glue: 'code',
  },
  // propaganda staff
  {
    intent: 'notice',
    keywords: ['通知', '发通知', '发布通知'],
    args: [{ kind: 'noticeBody' }],
    glue: 'bracket',
  },
  {
    intent: 'confirmNotice',
    keywords: ['确认', '确认发送', '确认发布', '确定'],
    args: [{ kind: 'noticeCode', name: 'code' }],
    glue: 'code',
  },
  {
    intent: 'cancelNotice',
    keywords: ['取消', '撤销'],
    args: [{ kind: 'anyCode', name: 'code', orderIntent: 'cancelOrder' }],
    glue: 'code',
  },
  {
    // 撤回 N12 takes back what was said; 撤回 A0042 is still a resident withdrawing an order.
    intent: 'recallNotice',
    keywords: ['撤回', '撤回通知'],
    args: [{ kind: 'anyCode', name: 'code', orderIntent: 'cancelOrder' }],
    glue: 'code',
  },
  {
    intent: 'resendNotice',
    keywords: ['重发', '补发', '重新发送'],
    args: [{ kind: 'noticeCode', name: 'code' }],
    glue: 'code',
  },
  {
    intent: 'pauseNotice',
    keywords: ['暂停', '暂停发送', '暂停发布'],
    args: [{ kind: 'noticeCode', name: 'code' }],
    glue: 'code',
  },
  {
    intent: 'resumeNotice',
    keywords: ['继续', '继续发送', '恢复发送', '继续发布'],
    args: [{ kind: 'noticeCode', name: 'code' }],
    glue: 'code',
  },
  {
    intent: 'correctNotice',
    keywords: ['更正', '勘误', '更正通知'],
    args: [
      { kind: 'noticeCode', name: 'code' },
      { kind: 'text', name: 'text', optional: false, max: limits.noticeText },
    ],
    glue: 'code',
  },
  {
    intent: 'receipt',
    keywords: ['回执', '查回执', '送达情况'],
    args: [{ kind: 'noticeCode', name: 'code' }],
    glue: 'code',
  },
  // any staff
  {
    intent: 'bind',
    keywords: ['绑定', '绑定本群', '本群绑定'],
    args: [{ kind: 'unitPath', name: 'path' }],
    glue: 'unit',
  },
  { intent: 'login', keywords: ['登录', '登陆', '登录控制台'], args: [], glue: 'nothing' },
]

/** The role a member needs for each intent; checked by the caller, not the parser. */
export const requiredRole: { readonly [I in Intent]: RequiredRole } = {
  order: 'resident',
  progress: 'resident',
  rate: 'resident',
  cancelOrder: 'resident',
  menu: 'resident',
  help: 'resident',
  verify: 'resident',
  accept: 'worker',
  complete: 'worker',
  returnOrder: 'worker',
  myTasks: 'worker',
  dispatch: 'station_staff',
  escalate: 'station_staff',
  recategorize: 'station_staff',
  notice: 'propagandist',
  confirmNotice: 'propagandist',
  cancelNotice: 'propagandist',
  recallNotice: 'propagandist',
  resendNotice: 'propagandist',
  pauseNotice: 'propagandist',
  resumeNotice: 'propagandist',
  receipt: 'propagandist',
  correctNotice: 'propagandist',
  bind: 'staff',
  answer: 'resident',
  login: 'staff',
}

/**
 * Traditional and variant characters folded to simplified ones when matching keywords and tier
 * words only; the message text itself is never rewritten.
 */
export const keywordVariants: Readonly<Record<string, string>> = {
  點: '点',
  單: '单',
  単: '单',
  進: '进',
  評: '评',
  價: '价',
  価: '价',
  幫: '帮',
  幇: '帮',
  確: '确',
  續: '续',
  繼: '继',
  復: '复',
  認: '认',
  報: '报',
  詢: '询',
  說: '说',
  驗: '验',
  覈: '核',
  實: '实',
  説: '说',
  領: '领',
  搶: '抢',
  辦: '办',
  結: '结',
  務: '务',
  發: '发',
  佈: '布',
  執: '执',
  綁: '绑',
  銷: '销',
  囘: '回',
  迴: '回',
  況: '况',
  達: '达',
  錄: '录',
  陸: '陆',
  區: '区',
  鎮: '镇',
  網: '网',
  樓: '楼',
  棟: '栋',
}

/** Tier words of a 仅… filter; longer words are tried first (镇街 before 镇, 社区 before 区). */
export const tierWords: readonly (readonly [word: string, tier: Tier])[] = [
  ['区', 1],
  ['街道', 2],
  ['镇街', 2],
  ['镇', 2],
  ['社区', 3],
  ['村', 3],
  ['网格', 4],
  ['小院', 4],
  ['楼栋', 5],
  ['楼', 5],
]

/** Words that open a tier filter: 仅网格, 只发楼栋. */
export const tierFilterWords: readonly string[] = ['仅发', '只发', '仅', '只']

/** Joins tier words inside one filter: 仅网格和楼栋, 仅网格、楼栋. */
export const tierJoiners: readonly string[] = ['和', '及', '与', '跟', '、', ',', '+', '/']

/** A bare first token of a notice is its scope only when it ends like a unit name. */
export const unitSuffixes: readonly string[] = [
  '区',
  '街道',
  '镇',
  '社区',
  '村',
  '网格',
  '栋',
  '楼',
  '小院',
  '中心',
  '所',
  '站',
]

/** Sentence particles: "点单了吗", "完成了" are talk about a command, not the command. */
export const particles = '了吗呢啊吧的过么嘛啦哦喔呀哈得着'

/** Said to the bot with nothing else, these get the help text rather than become an order. */
export const greetings: readonly string[] = [
  '你好',
  '您好',
  '在吗',
  '在不在',
  'hi',
  'hello',
  '哈喽',
  '嗨',
]
