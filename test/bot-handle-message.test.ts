import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HandlerTable, Incoming, SomeHandlers } from '../bot/context.ts'
import { handleMessage, type MessageDeps } from '../bot/handle-message.ts'
import { orderRequestHandlers } from '../bot/handlers/order-requests.ts'
import { BUSY, InFlight } from '../bot/in-flight.ts'
import { CooldownGate } from '../bot/system-notice.ts'
import { TalkerLimit } from '../bot/talker-limit.ts'
import { botTexts } from '../bot/templates.ts'
import { Caches } from '../core/caches.ts'
import type { Services } from '../core/services.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

describe('handleMessage', () => {
  let t: TestDatabase
  const logged: unknown[] = []
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t.close()
  })

  const deps = (handlers: SomeHandlers, limit = new TalkerLimit()): MessageDeps => ({
    services: {
      db: t.db,
      caches: new Caches(),
      log: pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) }),
    } as unknown as Services,
    account: { id: 1, name: 'bot-test', names: ['圈群助手'] },
    // Only the intents a test speaks need a handler here.
    handlers: handlers as HandlerTable,
    limit,
  })
  const say = (text: string, talkerId = 'wxid_resident'): Incoming => ({
    roomId: 'room-1',
    topic: '某楼栋群',
    talkerId,
    talkerName: '居民甲',
    text,
    type: 'text',
  })

  it('answers a failing command with one short line and logs it with where and who', async () => {
    const reaction = await handleMessage(
      deps({
        help: async () => {
          throw new Error('database went away')
        },
      }),
      say('帮助'),
    )
    expect(reaction).toEqual({ kind: 'reply', text: `@居民甲 ${botTexts.failed}` })
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'command failed', intent: 'help', roomId: 'room-1' }),
    )
  })

  it('keeps a bare digit silent in a room nobody bound (the menu answer is chat there)', async () => {
    const d = deps({ answer: orderRequestHandlers.answer, progress: async () => 'progress' })
    expect(await handleMessage(d, say('1'))).toEqual({ kind: 'silent' })
    // Any other command there hears that the room is unbound.
    expect(await handleMessage(d, say('进度 A0042'))).toEqual({
      kind: 'reply',
      text: `@居民甲 ${botTexts.unbound}`,
    })
  })

  it('answers the same person at most five times a minute', async () => {
    const limit = new TalkerLimit()
    const d = deps({ help: async () => 'ok' }, limit)
    const kinds = []
    for (let i = 0; i < 7; i++) kinds.push((await handleMessage(d, say('帮助', 'wxid_flood'))).kind)
    expect(kinds).toEqual(['reply', 'reply', 'reply', 'reply', 'reply', 'silent', 'silent'])
    expect((await handleMessage(d, say('帮助', 'wxid_other'))).kind).toBe('reply')
  })

  it('keeps counting a flooder while 30,000 others speak in the same minute', () => {
    const limit = new TalkerLimit()
    const t0 = 1_000_000
    for (let i = 0; i < 5; i++) expect(limit.allow('wxid_flood', t0)).toBe(true)
    // Past the 10,000 remembered talkers, old ones are pruned; none of these is old yet.
    for (let i = 0; i < 30_000; i++) expect(limit.allow(`wxid_${i}`, t0 + 1 + i / 1_000)).toBe(true)
    expect(limit.allow('wxid_flood', t0 + 59_000)).toBe(false)
    expect(limit.allow('wxid_0', t0 + 59_000)).toBe(true)
    // A minute on, the flooder's answers have aged out.
    expect(limit.allow('wxid_flood', t0 + 60_001)).toBe(true)
  })

  it('keeps a line read by the free grammar silent where it could not act', async () => {
    const d = deps({})
    // room-1 is bound to no group: the textbook command is told so, the free reading is not.
    expect(await handleMessage(d, say('接单 A0042'))).toEqual({
      kind: 'reply',
      text: `@居民甲 ${botTexts.unbound}`,
    })
    expect(await handleMessage(d, say('A0042 接了'))).toEqual({ kind: 'silent' })
    expect(await handleMessage(d, say('我要报修 厕所堵了'))).toEqual({ kind: 'silent' })
  })

  it('asks for text after a voice message in a private chat', async () => {
    const d = deps({})
    const { roomId: _, ...privately } = { ...say(''), type: 'voice' as const }
    expect(await handleMessage(d, privately)).toEqual({ kind: 'reply', text: botTexts.voice })
  })

  it('stays silent on system messages that are not throttling, and on non-text', async () => {
    const d = deps({})
    expect(await handleMessage(d, { ...say('张三加入了群聊'), type: 'system' })).toEqual({
      kind: 'silent',
    })
    expect(await handleMessage(d, { ...say('[图片]'), type: 'other' })).toEqual({ kind: 'silent' })
    expect(
      await handleMessage(d, { ...say('操作过于频繁'), type: 'system', fromPlatform: true }),
    ).toEqual({
      kind: 'coolDown',
      reason: '操作过于频繁',
    })
  })

  it('never cools down on what a member can make WeChat show: names, their own messages', async () => {
    const d = deps({})
    const platform = (text: string) => ({
      ...say(text),
      type: 'system' as const,
      fromPlatform: true,
    })
    for (const text of [
      '"请稍后再试"加入了群聊',
      '"王芳"邀请"操作太频繁"加入了群聊',
      '"张三"修改群名为“发送过于频繁”',
      '请稍后再试',
      '"太频繁"撤回了一条消息',
    ]) {
      expect(await handleMessage(d, platform(text))).toEqual({ kind: 'silent' })
    }
    // A member's message of unknown type with the very words: not the platform.
    expect(
      await handleMessage(d, {
        ...say('操作过于频繁，请稍后再试'),
        type: 'system',
        fromPlatform: false,
      }),
    ).toEqual({ kind: 'silent' })
    expect(await handleMessage(d, platform('操作过于频繁，请稍后再试'))).toMatchObject({
      kind: 'coolDown',
    })
  })
})

describe('CooldownGate', () => {
  it('starts at most one cool-down per period and three an hour', () => {
    const gate = new CooldownGate(600_000)
    const t0 = 1_000_000_000
    expect(gate.allow(t0)).toBe(true)
    expect(gate.allow(t0 + 1_000)).toBe(false)
    expect(gate.allow(t0 + 600_000)).toBe(true)
    expect(gate.allow(t0 + 1_200_000)).toBe(true)
    expect(gate.allow(t0 + 1_800_000)).toBe(false)
    expect(gate.allow(t0 + 3_600_001)).toBe(true)
  })
})

describe('InFlight', () => {
  it('runs at most `max` at once, queues `maxWaiting` more in order, and sheds the rest', async () => {
    const gate = new InFlight(1, 2)
    const order: number[] = []
    let release!: () => void
    const held = new Promise<void>((r) => {
      release = r
    })
    const first = gate.run(async () => {
      await held
      order.push(1)
      return 1
    })
    const second = gate.run(async () => {
      order.push(2)
      return 2
    })
    const third = gate.run(async () => {
      order.push(3)
      return 3
    })
    expect(await gate.run(async () => 4)).toBe(BUSY)
    release()
    expect(await Promise.all([first, second, third])).toEqual([1, 2, 3])
    expect(order).toEqual([1, 2, 3])
    expect(await gate.run(async () => 5)).toBe(5)
  })
})
