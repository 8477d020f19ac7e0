import { afterAll, describe, expect, it, vi } from 'vitest'
import type { OutboundMessage } from '../queues/outbound-message.ts'
import type { PacingRules } from '../queues/pacing.ts'
import {
  enqueueSay,
  enqueueSayBulk,
  type SendQueue,
  type SendQueueOptions,
  sendQueueName,
} from '../queues/send-queue.ts'
import { SendQueues } from '../queues/send-queues.ts'
import type { SendWorker } from '../queues/send-worker.ts'
import { useSendQueues, waitFor } from './support/send-queues.ts'

const sq = useSendQueues()

afterAll(async () => {
  // Nothing of this file's prefix may outlive it.
  expect(await sq.redis.keys(`${sq.prefix}:*`)).toEqual([])
  await sq.close()
})

let accounts = 0
function queueFor(extra: Partial<SendQueueOptions> = {}): { account: string; queue: SendQueue } {
  const account = `机器人 ${++accounts}: test`
  return { account, queue: sq.queue(account, extra) }
}

interface Said {
  at: number
  msg: OutboundMessage
}

function startWorker(
  account: string,
  pacing: PacingRules,
  say: (msg: OutboundMessage) => Promise<void>,
): SendWorker {
  return sq.worker({ account, pacing: { cooldownMs: 1_000, ...pacing }, say })
}

/** A say that records when it was called; the test's view of what reached WeChat. */
function recorder(): { said: Said[]; say: (msg: OutboundMessage) => Promise<void> } {
  const said: Said[] = []
  return {
    said,
    say: async (msg) => {
      said.push({ at: Date.now(), msg })
    },
  }
}

const notice = (roomId: string, ref: string, tier?: number): OutboundMessage => ({
  roomId,
  text: `通知 ${ref}`,
  kind: 'notice',
  ref,
  ...(tier === undefined ? {} : { tier }),
})

describe('send queue (producer)', () => {
  it('derives a safe, distinct, hash-tagged queue name from any account name', () => {
    const names = ['bot-01', '张三:bot 1', '张三:bot 2', 'a/b c', '🤖']
    const encoded = names.map(sendQueueName)
    // The whole name is the Redis Cluster hash tag: one slot per queue, queues spread.
    for (const name of encoded) expect(name).toMatch(/^\{send-[\w-]+\}$/)
    expect(new Set(encoded).size).toBe(names.length)
    expect(() => sendQueueName('')).toThrow(/empty/)
  })

  it('collapses a duplicate add with the same job id, and refuses bad input before Redis', async () => {
    const { queue } = queueFor()
    const a = await enqueueSay(queue, notice('r1', 'n1', 2), { jobId: 'n1-r1' })
    const b = await enqueueSay(queue, notice('r1', 'n1', 2), { jobId: 'n1-r1' })
    const bulk = await enqueueSayBulk(queue, [
      { msg: notice('r2', 'n1', 2), jobId: 'n1-r2' },
      { msg: notice('r1', 'n1', 2), jobId: 'n1-r1' },
    ])
    expect([a.id, b.id, ...bulk.map((j) => j.id)]).toEqual(['n1-r1', 'n1-r1', 'n1-r2', 'n1-r1'])
    expect(await queue.count()).toBe(2)
    // Options from send-options.ts, priority from the kind and tier.
    const job = await queue.getJob('n1-r1')
    expect(job?.opts).toMatchObject({ attempts: 6, priority: 4, backoff: { type: 'exponential' } })

    await expect(enqueueSay(queue, { ...notice('r1', 'x'), text: '' })).rejects.toThrow(/text/)
    await expect(
      enqueueSay(queue, { ...notice('r1', 'x'), text: '长'.repeat(4_001) }),
    ).rejects.toThrow(/text/)
    await expect(enqueueSay(queue, notice('r1', 'x', 6))).rejects.toThrow(/tier/)
    await expect(enqueueSay(queue, notice('r1', 'x'), { jobId: 'a:b' })).rejects.toThrow(/":"/)
    await expect(enqueueSay(queue, notice('r1', 'x'), { jobId: '42' })).rejects.toThrow(/integer/)
    await expect(
      enqueueSayBulk(queue, [{ msg: notice('r3', 'ok') }, { msg: notice('', 'bad') }]),
    ).rejects.toThrow(/#1: roomId/)
    expect(await queue.count()).toBe(2)
  })

  it('sends the says of one turn to Redis in one write, without a pipeline, and a bad one fails alone', async () => {
    const { account, queue } = queueFor()
    const queues = new SendQueues(sq.redis, sq.prefix)
    const queueSay = (msg: OutboundMessage, jobId?: string) => queues.say(account, msg, jobId)
    await queue.waitUntilReady()
    await queues.of(account).waitUntilReady()
    // A Pipeline keeps its jobs alive until a full GC (queues/add-jobs.ts); the socket's writes
    // show whether the adds went out together.
    const pipeline = vi.spyOn(sq.redis, 'pipeline')
    const socket = sq.redis.stream as unknown as { _write: () => void; _writev: () => void }
    const one = vi.spyOn(socket, '_write')
    const many = vi.spyOn(socket, '_writev')
    await Promise.all([
      queueSay(notice('r1', 'a'), 'a-r1'),
      queueSay(notice('r2', 'a'), 'a-r2'),
      queueSay(notice('r3', 'a')),
    ])
    expect(many).toHaveBeenCalledTimes(1)
    expect(one).not.toHaveBeenCalled()
    expect(pipeline).not.toHaveBeenCalled()
    for (const spy of [pipeline, one, many]) spy.mockRestore()
    // Added in the order asked: same priority, so the waiting list holds them first to last.
    const waiting = await queue.getJobs(['prioritized', 'wait'], 0, -1, true)
    expect(waiting.map((j) => ('roomId' in j.data ? j.data.roomId : ''))).toEqual([
      'r1',
      'r2',
      'r3',
    ])

    const results = await Promise.allSettled([
      queueSay(notice('r4', 'b'), 'b-r4'),
      queueSay({ ...notice('r5', 'b'), text: '' }),
      queueSay(notice('r1', 'a'), 'a-r1'),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/text/)
    // The repeated job id is still a no-op: one new job, r4's.
    expect(await queue.count()).toBe(4)
    expect(await queue.getJob('b-r4')).toBeDefined()
    await queues.close()
  })
})

describe('send worker', () => {
  it('says 200 messages over 10 rooms exactly once, within the cap in every window and the room gap', async () => {
    // A 1 s window with a cap of 40 makes the cap bind within seconds; 5 ms + ≤10 ms jitter alone
    // would allow ~100/s, and 100 ms per room 10/s per room.
    const pacing: PacingRules = {
      perMinute: 40,
      windowMs: 1_000,
      minGapMs: 5,
      jitterMs: 10,
      roomGapMs: 100,
    }
    const { account, queue } = queueFor()
    const { said, say } = recorder()
    // The first 12 are all for room-0: a worker that slept out the room gap would send nothing
    // else for over a second. The other 188 are spread over rooms 1–9.
    const msgs: OutboundMessage[] = []
    for (let i = 0; i < 200; i++) {
      const room = i < 12 ? 0 : 1 + ((i * 7) % 9)
      msgs.push(notice(`room-${room}`, `m${i}`, 3))
    }
    await enqueueSayBulk(
      queue,
      msgs.map((msg) => ({ msg, jobId: msg.ref! })),
    )
    const started = Date.now()
    startWorker(account, pacing, say)
    await waitFor('200 messages said', () => said.length >= 200)
    const took = Date.now() - started
    await new Promise((r) => setTimeout(r, 200)) // nothing more may trickle in
    expect(said.length).toBe(200)
    expect(new Set(said.map((s) => s.msg.ref)).size).toBe(200)

    const times = said.map((s) => s.at)
    const crowded: number[] = []
    let fullWindows = 0
    for (let i = 0; i + pacing.perMinute < times.length; i++) {
      const span = times[i + pacing.perMinute]! - times[i]!
      if (span < pacing.windowMs!) crowded.push(i)
      if (times[i + pacing.perMinute - 1]! - times[i]! < pacing.windowMs!) fullWindows++
    }
    expect(crowded).toEqual([])
    // The cap did bind: many windows held exactly perMinute sends.
    expect(fullWindows).toBeGreaterThan(10)

    const lastByRoom = new Map<string, number>()
    const roomTooSoon: string[] = []
    for (const s of said) {
      const prev = lastByRoom.get(s.msg.roomId)
      if (prev !== undefined && s.at - prev < pacing.roomGapMs) roomTooSoon.push(s.msg.ref!)
      lastByRoom.set(s.msg.roomId, s.at)
    }
    expect(roomTooSoon).toEqual([])
    for (let i = 1; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(pacing.minGapMs)
    }
    // room-0 did not block the rest: other rooms went while it sat out its gap.
    const firstTen = new Set(said.slice(0, 10).map((s) => s.msg.roomId))
    expect(firstTen.size).toBeGreaterThanOrEqual(5)
    // 200 at 40 per second: a little over 4 s for the cap, plus room-0's tail. A parked job goes
    // back behind the jobs of its priority and wakes up to ~100 ms late (Redis times blocking
    // calls with its 10 Hz clock), so room-0's last few go one by one at the end: ~6 s in all.
    expect(took).toBeGreaterThanOrEqual(4_000)
    expect(took).toBeLessThan(10_000)
    console.info(`200 messages paced in ${took} ms`)
  })

  it('serves a backlog by priority: replies, dispatches, then notices tier 1 to 5, untiered last', async () => {
    const { account, queue } = queueFor()
    const { said, say } = recorder()
    const backlog: OutboundMessage[] = [
      notice('r1', 'notice-t5', 5),
      notice('r2', 'notice', undefined),
      notice('r3', 'notice-t1', 1),
      { roomId: 'r4', text: '派单', kind: 'dispatch', ref: 'dispatch' },
      notice('r5', 'notice-t3', 3),
      { roomId: 'r6', text: '收到', kind: 'reply', ref: 'reply-1' },
      notice('r7', 'notice-t1b', 1),
      { roomId: 'r8', text: '收到', kind: 'reply', ref: 'reply-2' },
    ]
    await enqueueSayBulk(
      queue,
      backlog.map((msg) => ({ msg })),
    )
    startWorker(account, { perMinute: 1_000, minGapMs: 0, jitterMs: 0, roomGapMs: 0 }, say)
    await waitFor('backlog said', () => said.length >= backlog.length)
    expect(said.map((s) => s.msg.ref)).toEqual([
      'reply-1',
      'reply-2',
      'dispatch',
      'notice-t1',
      'notice-t1b',
      'notice-t3',
      'notice-t5',
      'notice',
    ])
  })

  it('lets a reply queued during a notice backlog overtake the notices', async () => {
    const { account, queue } = queueFor()
    const { said, say } = recorder()
    await enqueueSayBulk(
      queue,
      Array.from({ length: 20 }, (_, i) => ({ msg: notice(`r${i}`, `n${i}`, 1) })),
    )
    // 400 ms between sends: longer than the worker sleeps in a job, so the job goes back and the
    // account is held; the reply must win the next turn.
    startWorker(account, { perMinute: 1_000, minGapMs: 400, jitterMs: 0, roomGapMs: 0 }, say)
    await waitFor('first notice', () => said.length >= 1)
    await enqueueSay(queue, { roomId: 'r-resident', text: '已收到', kind: 'reply', ref: 'reply' })
    await waitFor('reply', () => said.some((s) => s.msg.ref === 'reply'), 5_000)
    expect(said.findIndex((s) => s.msg.ref === 'reply')).toBe(1)
  })

  it('fails a bad payload or unknown job name at once, without retry and without saying it', async () => {
    const { account, queue } = queueFor()
    const { said, say } = recorder()
    const bad = await queue.add('say', { roomId: '', text: 'x', kind: 'shout' } as never)
    const unknown = await queue.add('yell' as never, notice('r1', 'n1'))
    startWorker(account, { perMinute: 1_000, minGapMs: 0, jitterMs: 0, roomGapMs: 0 }, say)
    await waitFor('both failed', async () => (await queue.getFailedCount()) === 2)
    const badJob = await queue.getJob(bad.id!)
    expect(badJob?.attemptsMade).toBe(1)
    expect(badJob?.opts.attempts).toBe(6)
    expect(badJob?.failedReason).toMatch(/bad payload: roomId/)
    expect((await queue.getJob(unknown.id!))?.failedReason).toMatch(/unknown job name "yell"/)
    expect(said).toEqual([])
  })

  it('retries an ordinary say failure with backoff and says the message once', async () => {
    const { account, queue } = queueFor({ jobOptions: { backoff: { type: 'fixed', delay: 50 } } })
    let calls = 0
    const said: OutboundMessage[] = []
    const job = await enqueueSay(queue, notice('r1', 'n1', 1), { jobId: 'retry-me' })
    startWorker(
      account,
      { perMinute: 1_000, minGapMs: 0, jitterMs: 0, roomGapMs: 0 },
      async (msg) => {
        if (++calls <= 2) throw new Error('puppet: network down')
        said.push(msg)
      },
    )
    await waitFor('completed', async () => (await queue.getJobState(job.id!)) === 'completed')
    expect(calls).toBe(3)
    expect(said.map((m) => m.ref)).toEqual(['n1'])
    expect((await queue.getJob(job.id!))?.attemptsMade).toBe(3)
  })
})
