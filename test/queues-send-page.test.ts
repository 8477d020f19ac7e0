import { afterAll, describe, expect, it } from 'vitest'
import type { OutboundMessage, OutboundPage } from '../queues/outbound-message.ts'
import { PAGE_MAX } from '../queues/outbound-message.ts'
import type { PacingRules } from '../queues/pacing.ts'
import { PageProgress } from '../queues/page-progress.ts'
import { HoldError } from '../queues/send-failures.ts'
import { PAGE_TURN_MS } from '../queues/send-options.ts'
import { enqueuePageBulk, enqueueSay, type SendQueue, unsaidOf } from '../queues/send-queue.ts'
import { useSendQueues, waitFor } from './support/send-queues.ts'

const sq = useSendQueues()

afterAll(async () => {
  expect(await sq.redis.keys(`${sq.prefix}:*`)).toEqual([])
  await sq.close()
})

let accounts = 0
function queueFor(): { account: string; queue: SendQueue } {
  const account = `页 ${++accounts}`
  return {
    account,
    queue: sq.queue(account, { jobOptions: { backoff: { type: 'fixed', delay: 50 } } }),
  }
}

const UNPACED: PacingRules = { perMinute: 100_000, minGapMs: 0, jitterMs: 0, roomGapMs: 0 }

/** A page of `n` rooms r1…rn, refs n1…nn, each with the job id it would be retried under. */
function pageOf(n: number, tier = 3): OutboundPage {
  return {
    text: '【通知】本周六开展环境卫生大扫除。',
    kind: 'notice',
    tier,
    to: Array.from({ length: n }, (_, i) => ({
      roomId: `r${i + 1}`,
      ref: `n${i + 1}`,
      jobId: `alone-${i + 1}`,
    })),
  }
}

interface Said {
  at: number
  msg: OutboundMessage
  next: string[]
}

function start(
  account: string,
  pacing: PacingRules,
  say: (msg: OutboundMessage) => Promise<void> = async () => {},
  cooldownMs = 1_000,
) {
  const said: Said[] = []
  const worker = sq.worker({
    account,
    pacing: { cooldownMs, ...pacing },
    say: async (msg, next) => {
      await say(msg)
      said.push({ at: Date.now(), msg, next: next(1_000).map((m) => m.ref ?? '') })
    },
  })
  return { said, worker }
}

const refs = (said: Said[]) => said.map((s) => s.msg.ref)

describe('page jobs (one text into many rooms of one account)', () => {
  it('says every room once, in order, as one job that ends with its progress at the last room', async () => {
    const { account, queue } = queueFor()
    const [job] = await enqueuePageBulk(queue, [{ page: pageOf(30), jobId: 'p-1' }])
    const { said } = start(account, UNPACED)
    await waitFor('completed', async () => (await queue.getJobState('p-1')) === 'completed')
    expect(refs(said)).toEqual(Array.from({ length: 30 }, (_, i) => `n${i + 1}`))
    expect(said.map((s) => s.msg.text)).toEqual(
      said.map(() => '【通知】本周六开展环境卫生大扫除。'),
    )
    // Each say is told what the page says next (the send hooks claim those rows ahead).
    expect(said[0]!.next).toEqual(Array.from({ length: 29 }, (_, i) => `n${i + 2}`))
    expect(said[29]!.next).toEqual([])
    const done = await queue.getJob(job!.id!)
    expect(done?.progress).toBe(30)
    expect(done?.opts.priority).toBe(5)
    expect(await queue.getJobCounts('completed')).toMatchObject({ completed: 1 })
  })

  it('goes back to the queue when pacing makes it wait, and goes on where it stopped', async () => {
    const { account, queue } = queueFor()
    await enqueuePageBulk(queue, [{ page: pageOf(5), jobId: 'p-2' }])
    // 300 ms between sends: longer than a job sleeps inline, so the page goes back each time.
    const { said } = start(account, { ...UNPACED, minGapMs: 300 })
    await waitFor('completed', async () => (await queue.getJobState('p-2')) === 'completed')
    expect(refs(said)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5'])
    for (let i = 1; i < said.length; i++) {
      expect(said[i]!.at - said[i - 1]!.at).toBeGreaterThanOrEqual(300)
    }
    // Going back is not a failure: the one attempt is the one that completed it.
    expect((await queue.getJob('p-2'))?.attemptsMade).toBe(1)
  })

  it('lets a reply queued between two of its rooms go next', async () => {
    const { account, queue } = queueFor()
    await enqueuePageBulk(queue, [{ page: pageOf(10, 1), jobId: 'p-3' }])
    const { said } = start(account, { ...UNPACED, minGapMs: 400 })
    await waitFor('first room', () => said.length >= 1)
    await enqueueSay(queue, { roomId: 'r-resident', text: '已收到', kind: 'reply', ref: 'reply' })
    await waitFor('reply', () => said.some((s) => s.msg.ref === 'reply'), 5_000)
    expect(refs(said).indexOf('reply')).toBe(1)
  })

  it('goes back to the queue after a turn, so a reply waits a turn, not the whole page', async () => {
    const { account, queue } = queueFor()
    await enqueuePageBulk(queue, [{ page: pageOf(40), jobId: 'p-4' }])
    // No pacing, but each say takes 100 ms (a real puppet's round trip): the page takes ~4 s.
    const { said } = start(account, UNPACED, () => new Promise((r) => setTimeout(r, 100)))
    await waitFor('first room', () => said.length >= 1)
    const queuedAt = Date.now()
    await enqueueSay(queue, { roomId: 'r-resident', text: '已收到', kind: 'reply', ref: 'reply' })
    await waitFor('reply', () => said.some((s) => s.msg.ref === 'reply'), 10_000)
    const reply = said.find((s) => s.msg.ref === 'reply')!
    expect(reply.at - queuedAt).toBeLessThan(PAGE_TURN_MS + 500)
    expect(refs(said).indexOf('reply')).toBeLessThan(20)
    await waitFor('page', async () => (await queue.getJobState('p-4')) === 'completed')
    expect(refs(said).filter((r) => r !== 'reply')).toEqual(
      Array.from({ length: 40 }, (_, i) => `n${i + 1}`),
    )
  })

  it('hands a room whose say throws to a job of its own, goes on, and that job says it once', async () => {
    const { account, queue } = queueFor()
    await enqueuePageBulk(queue, [{ page: pageOf(5), jobId: 'p-5' }])
    let failures = 0
    const { said } = start(account, UNPACED, async (msg) => {
      if (msg.roomId === 'r3' && ++failures <= 2) throw new Error('puppet: network down')
    })
    await waitFor('alone', async () => (await queue.getJobState('alone-3')) === 'completed')
    expect(refs(said)).toEqual(['n1', 'n2', 'n4', 'n5', 'n3'])
    expect(failures).toBe(3)
    const alone = await queue.getJob('alone-3')
    // One attempt was spent in the page: the job has the rest, and the page's backoff.
    expect(alone?.opts.attempts).toBe(5)
    expect(alone?.attemptsMade).toBe(2)
    expect(alone?.data).toEqual({ ...said[4]!.msg })
    const page = await queue.getJob('p-5')
    expect(page?.finishedOn).toBeDefined()
    expect(page?.failedReason).toBeUndefined()
  })

  it('cools the account down on a throttled say and says that room once the cool-down is over', async () => {
    const { account, queue } = queueFor()
    await enqueuePageBulk(queue, [{ page: pageOf(4), jobId: 'p-6' }])
    let throttled = false
    let throttledAt = 0
    const { said } = start(
      account,
      UNPACED,
      async (msg) => {
        if (msg.roomId === 'r2' && !throttled) {
          throttled = true
          throttledAt = Date.now()
          throw new Error('操作过于频繁，请稍后再试')
        }
      },
      500,
    )
    await waitFor('completed', async () => (await queue.getJobState('p-6')) === 'completed')
    expect(refs(said)).toEqual(['n1', 'n2', 'n3', 'n4'])
    expect(said[1]!.at - throttledAt).toBeGreaterThanOrEqual(500)
    expect(await queue.getJob('alone-2')).toBeUndefined()
  })

  it('starts from its progress: a page taken over after a crash says only the rooms not done', async () => {
    const { account, queue } = queueFor()
    const [job] = await enqueuePageBulk(queue, [{ page: pageOf(6), jobId: 'p-7' }])
    // What the crashed worker wrote after its third room.
    await job!.updateProgress(3)
    expect(unsaidOf(job!).map((m) => m.ref)).toEqual(['n4', 'n5', 'n6'])
    const { said } = start(account, UNPACED)
    await waitFor('completed', async () => (await queue.getJobState('p-7')) === 'completed')
    expect(refs(said)).toEqual(['n4', 'n5', 'n6'])
  })

  it('refuses a bad page before Redis, and queues none of the bulk', async () => {
    const { queue } = queueFor()
    const bad: [OutboundPage, string, RegExp][] = [
      [{ ...pageOf(1), to: [] }, 'p-8', /outbound page #1: to: /],
      [pageOf(PAGE_MAX + 1), 'p-9', /outbound page #1: to: /],
      [pageOf(2), '12', /must not be an integer/],
      [{ ...pageOf(1), to: [{ roomId: 'r1', jobId: 'a:b' }] }, 'p-10', /must not contain ":"/],
      [{ ...pageOf(1), text: '' }, 'p-11', /outbound page #1: text: /],
    ]
    for (const [page, jobId, error] of bad) {
      await expect(
        enqueuePageBulk(queue, [
          { page: pageOf(1), jobId: 'p-ok' },
          { page, jobId },
        ]),
      ).rejects.toThrow(error)
    }
    expect(await queue.count()).toBe(0)
    // What a job still has to say: nothing for a payload that does not parse.
    expect(unsaidOf({ name: 'say-page', data: { to: 'x' } as never, progress: 0 })).toEqual([])
    expect(unsaidOf({ name: 'say-page', data: pageOf(2), progress: -1 })).toHaveLength(2)
    expect(unsaidOf({ name: 'say-page', data: pageOf(2), progress: 99 })).toEqual([])
  })

  it('writes progress behind the says: the last count set lands, and a failed write is reported', async () => {
    const { queue } = queueFor()
    const [job] = await enqueuePageBulk(queue, [{ page: pageOf(100), jobId: 'p-12' }])
    const progress = new PageProgress(job!, 0)
    for (let n = 1; n <= 60; n++) {
      progress.set(n)
      if (n % 7 === 0) await new Promise((r) => setImmediate(r))
    }
    await progress.flush()
    expect((await queue.getJob('p-12'))?.progress).toBe(60)
    // The job gone from Redis: the write fails, and flush says so.
    await job!.remove()
    progress.set(61)
    await expect(progress.flush()).rejects.toThrow(/p-12/)
  })

  it('parks on a hold where it stopped, no attempt used, and a promote resumes it at that room', async () => {
    const { account, queue } = queueFor()
    await enqueuePageBulk(queue, [{ page: pageOf(6), jobId: 'p-hold' }])
    // The hooks hold every room from the fourth on (a paused notice), for a minute.
    let holding = true
    const { said } = start(account, UNPACED, async (msg) => {
      if (holding && Number(msg.ref?.slice(1)) >= 4) throw new HoldError('paused', 60_000)
    })
    await waitFor('parked', async () => (await queue.getJobState('p-hold')) === 'delayed')
    const parked = await queue.getJob('p-hold')
    expect(refs(said)).toEqual(['n1', 'n2', 'n3'])
    expect(parked?.progress).toBe(3)
    expect(parked?.attemptsMade).toBe(0)
    expect(await queue.getJobCounts('failed')).toMatchObject({ failed: 0 })

    holding = false
    await parked!.promote()
    await waitFor('completed', async () => (await queue.getJobState('p-hold')) === 'completed')
    expect(refs(said)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5', 'n6'])
  })
})
