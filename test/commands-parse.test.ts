import { describe, expect, it } from 'vitest'
import { grammar, keywordVariants, requiredRole } from '../bot/commands/grammar.ts'
import { parseCommand } from '../bot/commands/parse-command.ts'
import { hints, usageHints } from '../bot/commands/templates.ts'
import type { Command, Intent, ParseResult } from '../bot/commands/types.ts'
import type { CommandContext } from '../cli/command.ts'
import { parseCli } from '../cli/commands/parse.ts'
import { runCli } from './support/cli.ts'

const BOT = ['圈群助手']
const parse = (text: string): ParseResult => parseCommand(text, { botNames: BOT })
const ok = (command: Command, mentionedBot = false): ParseResult => ({
  kind: 'command',
  command,
  mentionedBot,
})
const bad = (intent: Intent, hint: string = usageHints[intent]): ParseResult => ({
  kind: 'invalid',
  intent,
  hint,
})

/** Every command in its plain form. Free text holds no ASCII or spaces, so variants keep it. */
const plain: [string, Command][] = [
  ['点单 楼道灯坏了', { intent: 'order', verb: '点单', text: '楼道灯坏了' }],
  ['求助 帮独居老人买药', { intent: 'order', verb: '求助', text: '帮独居老人买药' }],
  ['报修 电梯不动了', { intent: 'order', verb: '报修', text: '电梯不动了' }],
  ['进度 A0042', { intent: 'progress', code: 'A0042' }],
  ['评价 A0042 5 师傅很负责', { intent: 'rate', code: 'A0042', stars: 5, comment: '师傅很负责' }],
  ['撤单 B12345', { intent: 'cancelOrder', code: 'B12345' }],
  ['菜单', { intent: 'menu' }],
  ['帮助', { intent: 'help' }],
  ['接单 A0042', { intent: 'accept', code: 'A0042' }],
  ['完成 A0042 已更换灯泡', { intent: 'complete', code: 'A0042', note: '已更换灯泡' }],
  ['退单 A0042 不在服务范围', { intent: 'returnOrder', code: 'A0042', reason: '不在服务范围' }],
  ['我的任务', { intent: 'myTasks' }],
  ['派单 A0042 @张三', { intent: 'dispatch', code: 'A0042', assignee: '张三' }],
  ['上报 A0042 需要街道协调', { intent: 'escalate', code: 'A0042', reason: '需要街道协调' }],
  [
    '通知 【石桥铺街道】 仅网格和楼栋 明天上午停水',
    { intent: 'notice', scope: '石桥铺街道', tiers: [4, 5], text: '明天上午停水' },
  ],
  ['确认 N12', { intent: 'confirmNotice', code: 'N12' }],
  ['取消 N12', { intent: 'cancelNotice', code: 'N12' }],
  ['撤回 N12', { intent: 'recallNotice', code: 'N12' }],
  ['撤回通知 N7', { intent: 'recallNotice', code: 'N7' }],
  // A resident withdrawing an order still says 撤回 too.
  ['撤回 A0042', { intent: 'cancelOrder', code: 'A0042' }],
  ['回执 N12', { intent: 'receipt', code: 'N12' }],
  ['取消 A0042', { intent: 'cancelOrder', code: 'A0042' }],
  [
    '绑定 九龙坡区/石桥铺街道/和平村社区',
    { intent: 'bind', path: '九龙坡区/石桥铺街道/和平村社区' },
  ],
]

const fullWidth = (s: string) =>
  s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, '\u3000')
const atBot = (s: string) => `@圈群助手\u2005${s}`
const extraSpaces = (s: string) => ` \t ${s.replace(/ /g, '  \u3000 ')}   `
const zeroWidthInKeyword = (s: string) => `${s[0]}\u200B${s.slice(1)}`

describe('parseCommand: every command', () => {
  describe.each(plain)('%s', (text, command) => {
    it('plain', () => expect(parse(text)).toEqual(ok(command)))
    it('full-width', () => expect(parse(fullWidth(text))).toEqual(ok(command)))
    it('with @bot', () => expect(parse(atBot(text))).toEqual(ok(command, true)))
    it('with extra spaces', () => expect(parse(extraSpaces(text))).toEqual(ok(command)))
    it('with a zero-width space inside the keyword', () =>
      expect(parse(zeroWidthInKeyword(text))).toEqual(ok(command)))
  })
})

describe('parseCommand: typos and habits that still parse', () => {
  const order = (text: string): Command => ({ intent: 'order', verb: '点单', text })
  it.each<[string, Command]>([
    ['点 单 修水管', order('修水管')],
    ['点单修水管', order('修水管')],
    ['点单：修水管', order('修水管')],
    ['点单,修水管', order('修水管')],
    ['點單 修水管', order('修水管')],
    ['点單 修水管', order('修水管')],
    ['#点单 修水管', order('修水管')],
    ['【点单】修水管', order('修水管')],
    ['保修 灯坏了', { intent: 'order', verb: '报修', text: '灯坏了' }],
    ['進度:A0042', { intent: 'progress', code: 'A0042' }],
    ['进度A0042', { intent: 'progress', code: 'A0042' }],
    ['进度 a0042', { intent: 'progress', code: 'A0042' }],
    ['进度 A 0042', { intent: 'progress', code: 'A0042' }],
    ['进度 A-0042', { intent: 'progress', code: 'A0042' }],
    ['进度 Ａ００４２', { intent: 'progress', code: 'A0042' }],
    ['进度 单号：A0042', { intent: 'progress', code: 'A0042' }],
    ['进度 #A0042', { intent: 'progress', code: 'A0042' }],
    ['进度 A0042 谢谢', { intent: 'progress', code: 'A0042' }],
    ['查进度 A0042', { intent: 'progress', code: 'A0042' }],
    ['接单 A0042。', { intent: 'accept', code: 'A0042' }],
    ['接单 A0042！！', { intent: 'accept', code: 'A0042' }],
    ['接 单 A0042', { intent: 'accept', code: 'A0042' }],
    ['評價 A0042 五星', { intent: 'rate', code: 'A0042', stars: 5 }],
    ['评价A0042 4', { intent: 'rate', code: 'A0042', stars: 4 }],
    ['评单 A0042 3分', { intent: 'rate', code: 'A0042', stars: 3 }],
    ['幫助', { intent: 'help' }],
    ['帮助？', { intent: 'help' }],
    ['HELP', { intent: 'help' }],
    ['/help', { intent: 'help' }],
    ['菜单呢？', { intent: 'menu' }],
    ['我的任务呢', { intent: 'myTasks' }],
    ['確認 N12', { intent: 'confirmNotice', code: 'N12' }],
    ['确认发送 N12', { intent: 'confirmNotice', code: 'N12' }],
    ['回执 n012', { intent: 'receipt', code: 'N12' }],
    ['取消 a 0042', { intent: 'cancelOrder', code: 'A0042' }],
    ['已完成 A0042', { intent: 'complete', code: 'A0042' }],
    ['完成 A0042。', { intent: 'complete', code: 'A0042' }],
    ['派单 A0042 ＠张三，', { intent: 'dispatch', code: 'A0042', assignee: '张三' }],
    ['綁定 九龙坡区>石桥铺街道', { intent: 'bind', path: '九龙坡区/石桥铺街道' }],
  ])('%j', (text, command) => {
    expect(parse(text)).toEqual(ok(command))
  })
})

describe('parseCommand: ordinary chat stays silent', () => {
  it.each([
    '',
    '   ',
    '\u200B\u200D',
    '今天天气不错',
    '我想点单',
    '请问怎么点单',
    '点单了吗',
    '完成了',
    '完成了吗？',
    '完成任务就回家',
    '取消了吧',
    '确认一下时间',
    '通知大家明天开会',
    '进度怎么样了',
    '菜单在哪里看',
    '帮助一下老人',
    '绑定手机号',
    'helpful tips',
    '@张三 吃饭了吗',
    '@圈群助手 今天吃什么 (bot names unknown)',
    'A0042',
    '🙂🙂',
  ])('%j', (text) => {
    const options = text.includes('bot names unknown') ? {} : { botNames: BOT }
    expect(parseCommand(text, options)).toEqual({ kind: 'none' })
  })

  it('reads a keyword after other words only beside an order code, as a loose command', () => {
    expect(parse('师傅 接单 A0042')).toEqual({
      ...ok({ intent: 'accept', code: 'A0042' }),
      loose: 'sure',
    })
    expect(parse('师傅 接单 明天')).toEqual({ kind: 'none' })
  })
})

describe('parseCommand: malformed commands give the right form', () => {
  it.each<[string, ParseResult]>([
    ['点单', bad('order')],
    ['点单 ？？', bad('order')],
    ['求助！', bad('order')],
    ['进度', bad('progress')],
    ['进度 A42', bad('progress')],
    ['进度 A1234567', bad('progress')],
    ['进度 N12', bad('progress')],
    ['进度 N1234', bad('progress')], // N is the notices' letter
    ['进度 明天', bad('progress')],
    ['进度 A0042 A0043', bad('progress', hints.oneCodeOnly)],
    ['评价 A0042', bad('rate', '格式：评价 单号 星级(1-5)，例如「评价 A0042 5」')],
    ['评价 A0042 6', bad('rate')],
    ['评价 A0042 0', bad('rate')],
    ['评价 A0042 10', bad('rate')],
    ['评价 A0042 4.5', bad('rate')],
    ['评价 A0042 ★★★★★★', bad('rate')],
    ['评价 A0042 很好', bad('rate')],
    ['评价 5 A0042', bad('rate')],
    ['撤单 N12', bad('cancelOrder')],
    ['接单', bad('accept')],
    ['接单。', bad('accept')],
    ['接单 A0042 B0043', bad('accept', hints.oneCodeOnly)],
    ['完成', bad('complete')],
    ['退单 A0042', bad('returnOrder')],
    ['退单 A0042。', bad('returnOrder')],
    ['派单 A0042', bad('dispatch')],
    ['派单 A0042 张三', bad('dispatch')],
    ['派单 A0042 @张三 @李四', bad('dispatch', hints.oneAssigneeOnly)],
    ['上报 A0042', bad('escalate')],
    ['通知', bad('notice')],
    ['通知 【石桥铺街道】', bad('notice')],
    ['通知 【石桥铺街道】 仅网格', bad('notice')],
    ['通知 石桥铺街道 仅网格', bad('notice')],
    ['确认', bad('confirmNotice')],
    ['确认 A0042', bad('confirmNotice')],
    ['确认 N12 N13', bad('confirmNotice', hints.oneCodeOnly)],
    ['取消', bad('cancelNotice')],
    ['取消 N12 A0042', bad('cancelNotice', hints.oneCodeOnly)],
    ['撤回', bad('recallNotice')],
    ['撤回 N12 N13', bad('recallNotice', hints.oneCodeOnly)],
    ['回执 A0042', bad('receipt')],
    ['绑定', bad('bind')],
    ['绑定 ？？', bad('bind')],
    ['绑定 市/区/街道/社区/网格/楼栋/单元', bad('bind', hints.pathTooDeep)],
  ])('%j', (text, result) => {
    expect(parse(text)).toEqual(result)
  })

  it('keeps every hint short', () => {
    for (const hint of Object.values(usageHints)) expect(hint.length).toBeLessThan(80)
    for (const hint of [hints.oneCodeOnly, hints.oneAssigneeOnly, hints.scopeTooLong]) {
      expect(hint.length).toBeLessThan(80)
    }
  })
})

describe('parseCommand: lengths', () => {
  it('takes order text up to 500 characters, counting emoji as one', () => {
    expect(parse(`点单 ${'修'.repeat(500)}`)).toEqual(
      ok({ intent: 'order', verb: '点单', text: '修'.repeat(500) }),
    )
    expect(parse(`点单 ${'😀'.repeat(500)}`)).toMatchObject({ kind: 'command' })
    expect(parse(`点单 ${'修'.repeat(501)}`)).toEqual(bad('order', '内容过长，请控制在500字以内'))
  })

  it('takes notices up to 2,000 characters', () => {
    expect(parse(`通知 ${'停'.repeat(2000)}`)).toMatchObject({ kind: 'command' })
    expect(parse(`通知 ${'停'.repeat(2001)}`)).toEqual(bad('notice', hints.tooLong(2000)))
  })

  it('limits comments, notes and reasons to 500 characters', () => {
    const long = '好'.repeat(501)
    expect(parse(`评价 A0042 5 ${long}`)).toEqual(bad('rate', hints.tooLong(500)))
    expect(parse(`完成 A0042 ${long}`)).toEqual(bad('complete', hints.tooLong(500)))
    expect(parse(`退单 A0042 ${long}`)).toEqual(bad('returnOrder', hints.tooLong(500)))
    expect(parse(`@圈群助手 ${long}`)).toEqual(bad('order', hints.tooLong(500)))
  })

  it('answers a 10 MB message in milliseconds: 内容过长 for a command, silence for chat', () => {
    const huge = '修'.repeat(3_400_000) // 10 MB of UTF-8
    // Decoded from bytes, as a puppet delivers a message: a flat string, not a concatenation
    // V8 would first have to copy (which alone costs more than the parse).
    const wire = (text: string) => Buffer.from(text).toString('utf8')
    const cases: [string, ParseResult][] = [
      [wire(`点单 ${huge}`), bad('order', hints.tooLong(500))],
      [wire(`通知 ${huge}`), bad('notice', hints.tooLong(2000))],
      [wire(`接单 A0042 ${huge}`), bad('accept', hints.tooLong(500))],
      [wire(`@圈群助手 ${huge}`), bad('order', hints.tooLong(500))],
      [wire(huge), { kind: 'none' }],
      [wire(`点单了吗${huge}`), { kind: 'none' }],
    ]
    const started = performance.now()
    const results = cases.map(([text]) => parse(text))
    const elapsed = performance.now() - started
    expect(results).toEqual(cases.map(([, result]) => result))
    // Six 10 MB messages; reading them through would take hundreds of milliseconds.
    expect(elapsed).toBeLessThan(50)
  })
})

describe('parseCommand: mentions', () => {
  it('answers a bare @bot with help', () => {
    expect(parse('@圈群助手')).toEqual(ok({ intent: 'help' }, true))
    expect(parse('@圈群助手\u2005')).toEqual(ok({ intent: 'help' }, true))
    expect(parse('@圈群助手 ？')).toEqual(ok({ intent: 'help' }, true))
    expect(parse('@圈群助手 你好！')).toEqual(ok({ intent: 'help' }, true))
  })

  it('turns other text addressed to the bot into an order', () => {
    expect(parse('@圈群助手 我家水管漏水了，快来！')).toEqual(
      ok({ intent: 'order', verb: '@', text: '我家水管漏水了，快来！' }, true),
    )
    expect(parse('水管坏了 @圈群助手')).toEqual(
      ok({ intent: 'order', verb: '@', text: '水管坏了' }, true),
    )
    expect(parse('@圈群助手 点单了吗')).toEqual(
      ok({ intent: 'order', verb: '@', text: '点单了吗' }, true),
    )
  })

  it('still gives hints, not orders, for malformed commands addressed to the bot', () => {
    expect(parse('@圈群助手 进度')).toEqual(bad('progress'))
  })

  it('skips mentions of other people in front of a command', () => {
    expect(parse('@张三 @圈群助手 点单 修水管')).toEqual(
      ok({ intent: 'order', verb: '点单', text: '修水管' }, true),
    )
    expect(parse('@张三 接单 A0042')).toEqual(ok({ intent: 'accept', code: 'A0042' }))
  })

  it('matches bot names in NFKC form, with spaces, and glued to a keyword', () => {
    expect(parse('＠圈群助手 点单 修水管')).toMatchObject({ kind: 'command', mentionedBot: true })
    expect(parse('@圈群助手点单 修水管')).toEqual(
      ok({ intent: 'order', verb: '点单', text: '修水管' }, true),
    )
    expect(parseCommand('@圈群 小助手 点单 修水管', { botNames: ['圈群 小助手'] })).toEqual(
      ok({ intent: 'order', verb: '点单', text: '修水管' }, true),
    )
  })

  it('does not take a longer name for the bot', () => {
    expect(parse('@圈群助手二号 你好')).toEqual({ kind: 'none' })
  })

  it('drops a WeChat quote in front of the reply', () => {
    const quote = '「宣传干部：请回复 确认 N12」\n- - - - - - - - - - - - - - -\n'
    expect(parse(`${quote}确认 N12`)).toEqual(ok({ intent: 'confirmNotice', code: 'N12' }))
    expect(parse(`${quote}好的`)).toEqual({ kind: 'none' })
  })
})

describe('parseCommand: notices', () => {
  const notice = (fields: Omit<Extract<Command, { intent: 'notice' }>, 'intent'>): ParseResult =>
    ok({ intent: 'notice', ...fields })

  it.each<[string, ParseResult]>([
    ['通知 明天停水', notice({ text: '明天停水' })],
    ['通知：明天停水', notice({ text: '明天停水' })],
    ['通知 石桥铺街道 明天停水', notice({ scope: '石桥铺街道', text: '明天停水' })],
    ['通知 石桥铺街道：明天停水', notice({ scope: '石桥铺街道', text: '明天停水' })],
    ['通知 九龙坡区/石桥铺街道 停水', notice({ scope: '九龙坡区/石桥铺街道', text: '停水' })],
    ['通知 3号楼 明天停水', notice({ scope: '3号楼', text: '明天停水' })],
    ['通知【石桥铺街道】明天停水', notice({ scope: '石桥铺街道', text: '明天停水' })],
    ['通知 [和平村社区] 停水', notice({ scope: '和平村社区', text: '停水' })],
    ['通知 ［和平村社区］ 停水', notice({ scope: '和平村社区', text: '停水' })],
    ['通知 石桥铺街道', notice({ text: '石桥铺街道' })],
    ['通知 明天上午 停水', notice({ text: '明天上午 停水' })],
    ['通知 今天天气很好，适合去社区 看看', notice({ text: '今天天气很好，适合去社区 看看' })],
    ['通知 仅网格 停水', notice({ tiers: [4], text: '停水' })],
    ['通知 仅网格、楼栋 停水', notice({ tiers: [4, 5], text: '停水' })],
    ['通知 仅楼栋和网格群 停水', notice({ tiers: [4, 5], text: '停水' })],
    ['通知 只发街道及社区 停水', notice({ tiers: [2, 3], text: '停水' })],
    ['通知 仅区 停水', notice({ tiers: [1], text: '停水' })],
    ['通知 仅镇街 停水', notice({ tiers: [2], text: '停水' })],
    ['通知 仅镇 停水', notice({ tiers: [2], text: '停水' })],
    ['通知 仅村 停水', notice({ tiers: [3], text: '停水' })],
    ['通知 仅小院 停水', notice({ tiers: [4], text: '停水' })],
    ['通知 仅楼 停水', notice({ tiers: [5], text: '停水' })],
    ['通知 仅網格 停水', notice({ tiers: [4], text: '停水' })],
    ['通知 仅网格，停水', notice({ tiers: [4], text: '停水' })],
    ['通知 仅限老人参加', notice({ text: '仅限老人参加' })],
    ['通知 仅网格居民注意', notice({ text: '仅网格居民注意' })],
    [
      '通知 石桥铺街道 仅网格和楼栋 明天停水',
      notice({ scope: '石桥铺街道', tiers: [4, 5], text: '明天停水' }),
    ],
    [
      '通知 仅网格 【石桥铺街道】 明天停水',
      notice({ scope: '石桥铺街道', tiers: [4], text: '明天停水' }),
    ],
    ['【通知】明天停水', notice({ text: '明天停水' })],
  ])('%j', (text, result) => {
    expect(parse(text)).toEqual(result)
  })

  it('keeps paragraphs and Chinese punctuation of the body', () => {
    expect(
      parse('通知 【石桥铺街道】\n各位居民：\n\n\n明天（周三）上午停水，请提前储水！\n\n'),
    ).toEqual(
      notice({ scope: '石桥铺街道', text: '各位居民：\n\n明天（周三）上午停水，请提前储水！' }),
    )
  })

  it('refuses an overlong scope', () => {
    expect(parse(`通知 【${'石'.repeat(101)}】 停水`)).toEqual(bad('notice', hints.scopeTooLong))
  })
})

describe('parseCommand: ratings', () => {
  it.each<[string, number]>([
    ['5', 5],
    ['5星', 5],
    ['5 星', 5],
    ['5分', 5],
    ['４', 4],
    ['⑤', 5],
    ['五星', 5],
    ['四星', 4],
    ['三颗星', 3],
    ['两星', 2],
    ['一分', 1],
    ['★★★★★', 5],
    ['★★★☆☆', 3],
    ['⭐⭐⭐⭐', 4],
    ['⭐️⭐️', 2],
    ['满分', 5],
  ])('%s → %i stars', (stars, expected) => {
    expect(parse(`评价 A0042 ${stars}`)).toEqual(
      ok({ intent: 'rate', code: 'A0042', stars: expected as 1 }),
    )
  })

  it('reads a comment glued to the stars, in the author characters', () => {
    expect(parse('评价 A0042 5星好评！')).toEqual(
      ok({ intent: 'rate', code: 'A0042', stars: 5, comment: '好评！' }),
    )
  })
})

describe('parseCommand: bind paths', () => {
  const path = '九龙坡区/石桥铺街道/和平村社区'
  it.each([
    '绑定 九龙坡区/石桥铺街道/和平村社区',
    '绑定 九龙坡区／石桥铺街道／和平村社区',
    '绑定 九龙坡区 > 石桥铺街道 > 和平村社区',
    '绑定 九龙坡区、石桥铺街道、和平村社区',
    '绑定 九龙坡区 石桥铺街道 和平村社区',
    '绑定 九龙坡区→石桥铺街道→和平村社区',
    '绑定 「九龙坡区/石桥铺街道/和平村社区」。',
    '绑定：/九龙坡区//石桥铺街道/和平村社区/',
    '绑定九龙坡区/石桥铺街道/和平村社区',
  ])('%j', (text) => {
    expect(parse(text)).toEqual(ok({ intent: 'bind', path }))
  })
})

describe('a menu answer and 改类', () => {
  it.each([
    ['1', 1],
    ['２', 2],
    ['3。', 3],
    [' 3 ', 3],
  ] as const)('%j answers a question with %i', (text, answer) => {
    expect(parse(text)).toMatchObject({ kind: 'command', command: { intent: 'answer', answer } })
  })

  it.each(['1号楼停水了', '12', '0', '3楼的灯', '3 楼的灯坏了'])('%j is no answer', (text) => {
    expect(parse(text)).not.toMatchObject({ kind: 'command', command: { intent: 'answer' } })
  })

  it('reads 改类 with the code and the category as typed', () => {
    expect(parse('改类 A0042 法律咨询')).toEqual(
      ok({ intent: 'recategorize', code: 'A0042', category: '法律咨询' }),
    )
    expect(parse('改类a0042 legal-advice')).toEqual(
      ok({ intent: 'recategorize', code: 'A0042', category: 'legal-advice' }),
    )
    expect(parse('改类 A0042')).toMatchObject({ kind: 'invalid', intent: 'recategorize' })
  })
})

describe('grammar table', () => {
  const sampleArgs: { [I in Intent]: string } = {
    order: '修水管',
    progress: 'A0042',
    rate: 'A0042 5',
    cancelOrder: 'A0042',
    menu: '',
    help: '',
    verify: '本周六上午九点社区义诊',
    accept: 'A0042',
    complete: 'A0042',
    returnOrder: 'A0042 太远',
    myTasks: '',
    dispatch: 'A0042 @张三',
    escalate: 'A0042 需协调',
    recategorize: 'A0042 法律咨询',
    notice: '明天停水',
    confirmNotice: 'N12',
    cancelNotice: 'N12',
    recallNotice: 'N12',
    resendNotice: 'N12',
    pauseNotice: 'N12',
    resumeNotice: 'N12',
    receipt: 'N12',
    correctNotice: 'N12 停水时间改为周日上午',
    bind: '九龙坡区/石桥铺街道',
    answer: '',
    login: '',
  }
  const traditional = new Map(Object.entries(keywordVariants).map(([from, to]) => [to, from]))
  const cases = grammar.flatMap((entry) =>
    entry.keywords.map((keyword) => [keyword, entry.intent] as const),
  )

  it.each(cases)('%s starts %s, in simplified and traditional characters', (keyword, intent) => {
    const variant = Array.from(keyword, (c) => traditional.get(c) ?? c).join('')
    for (const word of [keyword, variant]) {
      const result = parse(`${word} ${sampleArgs[intent]}`.trim())
      expect(result).toMatchObject({ kind: 'command', command: { intent } })
    }
  })

  it('names a role for every intent', () => {
    const roles = ['resident', 'worker', 'station_staff', 'propagandist', 'staff']
    for (const intent of Object.keys(usageHints)) {
      expect(roles).toContain(requiredRole[intent as Intent])
    }
    expect(requiredRole.order).toBe('resident')
    expect(requiredRole.accept).toBe('worker')
    expect(requiredRole.dispatch).toBe('station_staff')
    expect(requiredRole.notice).toBe('propagandist')
    expect(requiredRole.bind).toBe('staff')
  })
})

describe('quanqun parse', () => {
  async function run(args: string[], flags: CommandContext['flags'] = {}): Promise<string[]> {
    return (await runCli(parseCli, {}, args, flags)).lines
  }

  it('prints the parse result as JSON', async () => {
    const lines = await run(['点单 维修 健身器材坏了'])
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toEqual(
      ok({ intent: 'order', verb: '点单', text: '维修 健身器材坏了' }),
    )
  })

  it('joins several arguments and takes bot names from --bot', async () => {
    const lines = await run(['@助手', '我家', '停电了'], { bot: '助手' })
    expect(JSON.parse(lines[0]!)).toEqual(
      ok({ intent: 'order', verb: '@', text: '我家 停电了' }, true),
    )
  })

  it('refuses to run without text', async () => {
    await expect(run([])).rejects.toThrow('用法')
  })
})
