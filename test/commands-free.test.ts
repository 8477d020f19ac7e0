import { describe, expect, it } from 'vitest'
import { parseCommand } from '../bot/commands/parse-command.ts'
import type { Command, ParseResult } from '../bot/commands/types.ts'

const parse = (text: string): ParseResult => parseCommand(text, { botNames: ['圈群助手'] })
const loose = (command: Command, sure: 'sure' | 'unsure' = 'sure'): ParseResult => ({
  kind: 'command',
  command,
  mentionedBot: false,
  loose: sure,
})

describe('the free grammar: an order code and a command word, in either order', () => {
  it.each<[string, Command]>([
    ['A0001 接单', { intent: 'accept', code: 'A0001' }],
    ['接了 A0001', { intent: 'accept', code: 'A0001' }],
    ['ａ０００１　接单', { intent: 'accept', code: 'A0001' }],
    ['接单 👍 F0005', { intent: 'accept', code: 'F0005' }],
    ['完成了 A0001', { intent: 'complete', code: 'A0001' }],
    ['已办结 A0001 用时2小时', { intent: 'complete', code: 'A0001', note: '用时2小时' }],
    ['A0001 修好了 换了新灯泡', { intent: 'complete', code: 'A0001', note: '换了新灯泡' }],
    ['办完了 A0006 老人很满意', { intent: 'complete', code: 'A0006', note: '老人很满意' }],
    ['进度查询 A0001', { intent: 'progress', code: 'A0001' }],
    ['查一下A0001到哪了', { intent: 'progress', code: 'A0001' }],
    ['A0001 完成了吗？', { intent: 'progress', code: 'A0001' }],
    ['不要了 A0001', { intent: 'cancelOrder', code: 'A0001' }],
    ['A0001 不用了，已经自己修好了', { intent: 'cancelOrder', code: 'A0001' }],
    ['给A0001打5分', { intent: 'rate', code: 'A0001', stars: 5 }],
    ['A0001 五星好评', { intent: 'rate', code: 'A0001', stars: 5 }],
    ['A0001 差评 根本没修好', { intent: 'rate', code: 'A0001', stars: 1, comment: '根本没修好' }],
    ['A0001 退单 今天不在家', { intent: 'returnOrder', code: 'A0001', reason: '今天不在家' }],
  ])('%j', (text, command) => {
    expect(parse(text)).toEqual(loose(command))
  })

  it('keeps the keyword grammar first: a textbook command is not loose', () => {
    expect(parse('接单 A0001')).toEqual({
      kind: 'command',
      command: { intent: 'accept', code: 'A0001' },
      mentionedBot: false,
    })
  })

  it.each([
    'A0001 接单 B0002 完成', // two orders
    'A0001 B0002 接单',
    'N0012 接单', // N is the notices' letter
    'G1234次列车取消了', // a train
    'A0101号车位谁的车 不要了', // a parking space
    'A0301的业主在吗', // a room, no command word
    'A001车位出租',
    'B2-0301车位 不要了',
    `${'很长的转发文章'.repeat(20)} A0001 完成`,
  ])('stays silent on %j', (text) => {
    expect(parse(text)).toEqual({ kind: 'none' })
  })

  it('needs a reason to return an order, as the keyword does', () => {
    expect(parse('A0001 退单')).toMatchObject({ kind: 'invalid', intent: 'returnOrder' })
  })
})

describe('the free grammar: a request naming a need', () => {
  it('is an order when the need is named, asked back when only someone is called', () => {
    expect(parse('我要报修 厕所堵了')).toEqual(
      loose({ intent: 'order', verb: '请求', text: '我要报修 厕所堵了' }),
    )
    expect(parse('帮我叫个人修下水道')).toEqual(
      loose({ intent: 'order', verb: '请求', text: '帮我叫个人修下水道' }),
    )
    expect(parse('麻烦找个人来看看')).toEqual(
      loose({ intent: 'order', verb: '请求', text: '麻烦找个人来看看' }, 'unsure'),
    )
  })

  it.each([
    '我想点单',
    '麻烦大家明天停水前储水',
    '我想找个律师 大家有推荐吗',
    '帮我砍一刀',
    '我要睡了',
    '请大家注意 电梯维修暂停使用',
  ])('stays silent on %j', (text) => {
    expect(parse(text)).toEqual({ kind: 'none' })
  })
})

describe('the free grammar: answers to the bot', () => {
  it.each<[string, Command]>([
    ['是', { intent: 'answer', answer: 'yes' }],
    ['是的！', { intent: 'answer', answer: 'yes' }],
    ['2', { intent: 'answer', answer: 2 }],
    ['２号', { intent: 'answer', answer: 2 }],
  ])('%j', (text, command) => {
    expect(parse(text)).toEqual(loose(command))
  })

  it.each(['+1', '1. 张三', '10', '0', '是不是哦'])('not %j', (text) => {
    expect(parse(text)).not.toMatchObject({ command: { intent: 'answer' } })
  })
})
