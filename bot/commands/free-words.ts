/**
 * The free grammar as data (free-forms.ts reads it): the words of each command family that may sit
 * beside an order code, rating words, the request phrases and needs that make a resident's line an
 * order, and short answers. Adding a variant people type is an edit here; the corpora in
 * test/corpus/ measure what it costs in silence on ordinary chat.
 */
import type { Stars } from './types.ts'

type CodeIntent = 'accept' | 'complete' | 'progress' | 'cancelOrder' | 'returnOrder' | 'escalate'

/**
 * A line holding one order code and a word of one of these families, in either order, is that
 * command ("A0001 接单", "接了 A0001", "不要了 A0001"). Longer words are read first, and a word
 * inside a longer one already read does not count ("接不了" is not "我接").
 */
// biome-ignore format: word lists read best packed
export const codeFamilies: { readonly [I in CodeIntent]: readonly string[] } = {
  accept: [
    '接单', '接了', '接下', '我接', '已接', '领单', '领了', '抢单', '我来办', '我去办', '马上去',
  ],
  complete: [
    '完成', '办结', '办完', '办好了', '搞定', '弄好了', '修好了', '处理好了', '处理完', '做完',
    '完工', '结单', '已解决', '解决了', '归一', '整好了', '弄好', '修好',
  ],
  progress: [
    '进度', '查询', '查一下', '查下', '查查', '查单', '到哪', '怎么样', '咋样', '啥情况',
    '什么情况', '有人管', '状态', '进展', '什么时候', '啥时候', '几时', '多久', '好久', '还没',
    '没得人', '咋个样', '啷个样', '有人来', '要等',
  ],
  cancelOrder: [
    '不要了', '不需要了', '不用了', '不用来', '撤单', '撤销', '取消', '撤回', '算了',
  ],
  returnOrder: ['退单', '退回', '办不了', '做不了', '接不了', '去不了'],
  escalate: ['上报', '报上去'],
}

/** Rating words; stars in figures ("打5分", "五星", "★★★★") are read too (free-forms.ts). */
export const ratingWords: readonly (readonly [word: string, stars: Stars])[] = [
  ['五星好评', 5],
  ['好评', 5],
  ['非常满意', 5],
  ['满意', 5],
  ['满分', 5],
  ['中评', 3],
  ['不太满意', 2],
  ['不满意', 1],
  ['差评', 1],
]

/**
 * A line with a family word is a question about the order, not the move, when it asks:
 * "完成了吗 A0001", "A0001 接了没" are 进度.
 */
export const QUESTION = /[?]|吗|了没|没有$|没$|呢$|什么时候|啥时候|多久/

/** What follows a code-shaped word that is no order: "G1234次", "A0301室", "B1203号". */
export const NOT_AN_ORDER = /^\s*(?:次|号|室|栋|幢|楼|层|单元|户|车位|房|路|公交|航班|列车)/

/**
 * Request phrases that open an order in a residents' group ("我要报修 厕所堵了", "帮我叫个人修下水道")
 * when the line then names a need (needWords); with only a call for someone to come (callWords)
 * the bot asks back first.
 */
// biome-ignore format: word lists read best packed
export const requestPhrases: readonly string[] = [
  '请帮忙', '请帮我', '麻烦帮我', '麻烦帮忙', '麻烦', '我要', '我想', '我需要', '帮我', '帮帮我',
  '帮忙', '求帮忙', '能不能帮我', '能不能', '可以帮我', '谁能帮我', '有没有人能',
]

/**
 * A request holding one of these speaks to the group, not to the bot: "麻烦大家明天停水前储水",
 * "我想找个律师 有推荐吗".
 */
// biome-ignore format: word lists read best packed
export const notARequest: readonly string[] = [
  '大家', '各位', '邻居们', '业主们', '哪家', '哪里', '哪儿', '推荐', '谁知道', '谁有', '通知',
  '提示', '注意', '转发', '接龙', '报名', '拼单', '团购',
]

/** Needs specific enough that a request naming one is an order at once. */
// biome-ignore format: word lists read best packed
export const needWords: readonly string[] = [
  '报修', '维修', '修理', '修一下', '修下', '来修', '坏了', '坏掉', '堵了', '堵住', '不通', '漏水',
  '渗水', '滴水', '漏电', '停电', '没电', '跳闸', '停水', '没水', '水管', '下水道', '马桶', '疏通',
  '灯不亮', '换灯泡', '路灯', '电梯', '井盖', '燃气', '漏气', '消防通道', '隐患', '量血压',
  '测血压', '血压', '血糖', '体检', '义诊', '买药', '取药', '送药', '开药', '陪诊', '看病', '理发',
  '剪头发', '助餐', '送餐', '送饭', '法律咨询', '律师', '法律援助', '打官司', '调解', '纠纷',
  '欠薪', '工资没发', '讨薪', '找工作', '就业', '培训', '辅导', '作业', '托管', '照看', '陪伴',
  '独居', '心理咨询', '垃圾清运', '清运', '噪音', '扰民', '上门服务', '家电', '电路', '线路', '开锁',
]

/** A call for someone to come, with no need named: asked back ("您是要点单吗？"). */
// biome-ignore format: word lists read best packed
export const callWords: readonly string[] = [
  '叫个人', '叫人', '找个人', '找人', '派个人', '派人', '来个人', '上门', '来看看', '来看一下',
]

/** Short answers to the bot's question: 是 places a pending order, a digit picks from a list. */
export const yesWords: readonly string[] = [
  '是',
  '是的',
  '对',
  '对的',
  '要',
  '要的',
  '嗯',
  '好的要',
]
