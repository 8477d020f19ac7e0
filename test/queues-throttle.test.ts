import { describe, expect, it } from 'vitest'
import { errorText, isThrottleSignal, normalizeSignalText } from '../queues/throttle.ts'

describe('isThrottleSignal', () => {
  const throttling: string[] = [
    '操作过于频繁，请稍后再试',
    '你的操作过于频繁',
    '发送过于频繁',
    '消息发送太频繁了',
    '发送频率过快，请稍后再试',
    '频率过快',
    '请稍后再试',
    '请稍候再试。',
    '操作過於頻繁，請稍後再試',
    // Full-width letters and spaces, as some clients render them.
    'ＲＡＴＥ　ＬＩＭＩＴ　ＥＸＣＥＥＤＥＤ',
    '操作过于频繁，请稍后再试',
    'Error: you are sending messages too frequently',
    'Too Frequent',
    'rate limit exceeded',
    'Rate-Limited by server',
    'ratelimit',
    'HTTP 429 Too Many Requests',
    'request throttled',
  ]
  const ordinary: string[] = [
    '',
    '   ',
    '"张三"邀请"李四"加入了群聊',
    '你已添加了王五，现在可以开始聊天了。',
    '消息已发出',
    '"赵六"撤回了一条消息',
    '群公告：本周六上午九点开展志愿服务',
    'Error: ECONNRESET',
    'puppet not logged in',
    'room not found: 123@chatroom',
    'please rate this service',
    'frequent flyer',
  ]

  it.each(throttling)('recognises %j', (text) => {
    expect(isThrottleSignal(text)).toBe(true)
  })

  it.each(ordinary)('ignores %j', (text) => {
    expect(isThrottleSignal(text)).toBe(false)
  })
})

describe('normalizeSignalText', () => {
  it('folds full-width forms, case, spaces, dashes and underscores', () => {
    expect(normalizeSignalText('ＲＡＴＥ　Ｌｉｍｉｔ')).toBe('ratelimit')
    expect(normalizeSignalText('Rate_limit - Too Many')).toBe('ratelimittoomany')
    expect(normalizeSignalText('操作过于频繁，请稍后再试')).toBe('操作过于频繁,请稍后再试')
  })
})

describe('errorText', () => {
  it('reads errors, their causes, strings and message-bearing objects', () => {
    const wrapped = new Error('send failed', { cause: new Error('操作过于频繁') })
    expect(isThrottleSignal(errorText(wrapped))).toBe(true)
    expect(errorText('rate limit')).toBe('rate limit')
    expect(errorText({ message: '请稍后再试', code: -1 })).toBe('请稍后再试')
    expect(errorText(42)).toBe('42')
    const cyclic = new Error('loop')
    ;(cyclic as { cause?: unknown }).cause = cyclic
    expect(errorText(cyclic)).toContain('loop')
  })
})
