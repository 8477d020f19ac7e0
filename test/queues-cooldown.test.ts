import { afterAll, describe, expect, it } from 'vitest'
import type { OutboundMessage } from '../queues/outbound-message.ts'
import type { PacingRules } from '../queues/pacing.ts'
import { enqueueSayBulk } from '../queues/send-queue.ts'
import type { SendWorker } from '../queues/send-worker.ts'
import { useSendQueues, waitFor } from './support/send-queues.ts'

const COOLDOWN_MS = 1_500
const pacing: PacingRules & { cooldownMs: number } = {
  perMinute: 1_000,
  windowMs: 1_000,
  minGapMs: 10,
  jitterMs: 5,
  roomGapMs: 40,
  cooldownMs: COOLDOWN_MS,
}

const sq = useSendQueues()

afterAll(async () => {
  expect(await sq.redis.keys(`${sq.prefix}:*`)).toEqual([])
  await sq.close()
})

interface Call {
  at: number
  ref: string
  ok: boolean
}

interface Cooldown {
  at: number
  until: number
  reason: string
}

let accounts = 0
/** An account with 40 queued notices over 10 rooms, and a worker whose says are recorded. */
async function setUp(sayHook: (n: number, msg: OutboundMessage) => void | Promise<void>) {
  const account = `cool-${++accounts}`
  const queue = sq.queue(account)
  const refs = Array.from({ length: 40 }, (_, i) => `m${i}`)
  await enqueueSayBulk(
    queue,
    refs.map((ref, i) => ({
      msg: { roomId: `room-${i % 10}`, text: `通知 ${ref}`, kind: 'notice', tier: 2, ref },
      jobId: ref,
    })),
  )
  const calls: Call[] = []
  const cooldowns: Cooldown[] = []
  const sw = sq.worker({
    account,
    pacing,
    say: async (msg) => {
      const call: Call = { at: Date.now(), ref: msg.ref!, ok: false }
      calls.push(call)
      await sayHook(calls.length, msg)
      call.ok = true
    },
    onCooldown: (until, reason) => {
      cooldowns.push({ at: Date.now(), until, reason })
    },
  })
  return { sw, queue, refs, calls, cooldowns }
}

function expectEachSaidOnce(calls: Call[], refs: string[]) {
  const ok = calls.filter((c) => c.ok).map((c) => c.ref)
  expect([...ok].sort()).toEqual([...refs].sort())
}

describe('cool-down', () => {
  it('pauses the account when say reports 操作过于频繁, then resumes and loses nothing', async () => {
    const started = Date.now()
    const { calls, cooldowns, refs } = await setUp((n) => {
      if (n === 20) throw new Error('sendText failed: 操作过于频繁，请稍后再试')
    })
    await waitFor('40 messages said', () => calls.filter((c) => c.ok).length >= 40)
    const took = Date.now() - started

    expect(cooldowns).toHaveLength(1)
    const [cool] = cooldowns
    const throttled = calls[19]!
    expect(throttled.ok).toBe(false)
    expect(cool!.reason).toContain('操作过于频繁')
    expect(cool!.until - throttled.at).toBeGreaterThanOrEqual(COOLDOWN_MS)
    expect(cool!.until - throttled.at).toBeLessThan(COOLDOWN_MS + 200)
    // Not one say during the cool-down; the throttled message is the first one after it.
    const after = calls.slice(20)
    expect(after.every((c) => c.at >= cool!.until)).toBe(true)
    expect(after[0]!.ref).toBe(throttled.ref)
    expectEachSaidOnce(calls, refs)
    console.info(`throttled by say: 40 messages with a ${COOLDOWN_MS} ms cool-down in ${took} ms`)
  })

  it('pauses the account when the bot calls coolDown(), then resumes and loses nothing', async () => {
    let sw: SendWorker | undefined
    let calledAt = 0
    const setup = await setUp((n) => {
      // The bot saw a throttling system message in some room while the 10th message went out.
      if (n === 10) {
        calledAt = Date.now()
        void sw!.coolDown(COOLDOWN_MS, 'system message: 操作过于频繁')
      }
    })
    sw = setup.sw
    const { calls, cooldowns, refs } = setup
    await waitFor('40 messages said', () => calls.filter((c) => c.ok).length >= 40)

    expect(cooldowns).toHaveLength(1)
    const [cool] = cooldowns
    expect(cool!.reason).toBe('system message: 操作过于频繁')
    expect(cool!.until - calledAt).toBeGreaterThanOrEqual(COOLDOWN_MS)
    expect(calls.slice(10).every((c) => c.at >= cool!.until)).toBe(true)
    expect(calls.every((c) => c.ok)).toBe(true)
    expectEachSaidOnce(calls, refs)
  })

  it('holds an idle account: messages queued during a cool-down wait for its end', async () => {
    // No jobs are in hand, so only the Redis limiter key can stop the worker here.
    const account = `cool-idle-${++accounts}`
    const queue = sq.queue(account)
    const calls: number[] = []
    const cooldowns: number[] = []
    const sw = sq.worker({
      account,
      pacing,
      say: async () => {
        calls.push(Date.now())
      },
      onCooldown: (until) => {
        cooldowns.push(until)
      },
    })
    await sw.worker.waitUntilReady()
    const until = await sw.coolDown(800, 'test')
    // A shorter cool-down never cuts a longer one short, and is not reported again.
    expect(await sw.coolDown(50, 'shorter')).toBe(until)
    expect(cooldowns).toEqual([until])
    expect(sw.cooldownUntil).toBe(until)
    await enqueueSayBulk(queue, [
      { msg: { roomId: 'r1', text: '你好', kind: 'reply' } },
      { msg: { roomId: 'r2', text: '你好', kind: 'reply' } },
    ])
    await waitFor('2 messages said', () => calls.length >= 2)
    expect(calls.every((at) => at >= until)).toBe(true)
    expect(sw.cooldownUntil).toBe(0)
  })

  it('closes promptly during a long cool-down and keeps the queued message', async () => {
    const account = `cool-close-${++accounts}`
    const queue = sq.queue(account)
    const sw = sq.worker({
      account,
      pacing,
      say: async () => {
        throw new Error('must not be called')
      },
    })
    await sw.worker.waitUntilReady()
    await sw.coolDown(60_000, 'test')
    const job = await enqueueSayBulk(queue, [
      { msg: { roomId: 'r1', text: '你好', kind: 'reply' } },
    ])
    await new Promise((r) => setTimeout(r, 100))
    const closing = Date.now()
    await sw.close()
    expect(Date.now() - closing).toBeLessThan(2_000)
    expect(await queue.getJobState(job[0]!.id!)).toBe('prioritized')
  })
})
