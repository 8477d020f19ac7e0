import { UnrecoverableError, Worker } from 'bullmq'
import { afterAll, describe, expect, it } from 'vitest'
import { deliveryJobId, deliveryPageId, deliveryRef } from '../broadcasts/delivery-jobs.ts'
import { sendStatesOf } from '../broadcasts/send-states.ts'
import type { OutboundPage } from '../queues/outbound-message.ts'
import { enqueuePageBulk, enqueueSay, sendQueueName } from '../queues/send-queue.ts'
import { useSendQueues, waitFor } from './support/send-queues.ts'

const sq = useSendQueues()

afterAll(async () => {
  expect(await sq.redis.keys(`${sq.prefix}:*`)).toEqual([])
  await sq.close()
})

/** A notice's page of deliveries `ids`, as the fan-out queues it. */
function pageOf(ids: number[]): { page: OutboundPage; jobId: string } {
  return {
    page: {
      text: '通知',
      kind: 'notice',
      tier: 5,
      to: ids.map((id) => ({
        roomId: `room-${id}`,
        ref: deliveryRef(id),
        jobId: deliveryJobId(id),
      })),
    },
    jobId: deliveryPageId(ids),
  }
}

describe("where a delivery's send stands in Redis (the reconciler's view)", () => {
  it('reads pages and jobs of their own: in hand, said, failed, unknown', async () => {
    const account = 'states'
    const queue = sq.queue(account)
    // Finished by a plain worker as the send worker would leave them: p-1-3 completed, p-4-6
    // failed after its first room, p-10-12 waiting with one room done, 7 retried alone and failed.
    const [done, failed] = await enqueuePageBulk(queue, [pageOf([1, 2, 3]), pageOf([4, 5, 6])])
    await enqueueSay(
      queue,
      { roomId: 'room-7', text: '通知', kind: 'notice', tier: 5, ref: deliveryRef(7) },
      { jobId: deliveryJobId(7) },
    )
    const worker = new Worker(
      sendQueueName(account),
      async (job) => {
        if (job.id === done!.id) return job.updateProgress(3)
        if (job.id === failed!.id) await job.updateProgress(1)
        throw new UnrecoverableError(`puppet refused ${job.id}`)
      },
      { connection: sq.redis, prefix: sq.prefix },
    )
    try {
      await waitFor(
        'finished',
        async () =>
          (await queue.getJobCounts('completed', 'failed')).completed === 1 &&
          (await queue.getJobCounts('failed')).failed === 2,
      )
    } finally {
      await worker.close()
    }
    const [waiting] = await enqueuePageBulk(queue, [pageOf([10, 11, 12])])
    await waiting!.updateProgress(1)

    const states = await sendStatesOf(queue, [1, 3, 4, 5, 6, 7, 10, 11, 12, 99])
    expect(Object.fromEntries(states)).toEqual({
      1: { state: 'said' },
      3: { state: 'said' },
      // The failed page got past its first room only.
      4: { state: 'said' },
      5: { state: 'failed', reason: `puppet refused ${failed!.id}` },
      6: { state: 'failed', reason: `puppet refused ${failed!.id}` },
      7: { state: 'failed', reason: 'puppet refused d-7' },
      10: { state: 'said' },
      11: { state: 'inHand' },
      12: { state: 'inHand' },
      99: { state: 'unknown' },
    })
  })

  it('lets a job of its own decide for a room a page got past, and in hand beat an older page', async () => {
    const queue = sq.queue('overlap')
    // Room 21 was handed to a job of its own (still waiting); a re-run fan-out paged 22 again.
    const [old] = await enqueuePageBulk(queue, [pageOf([21, 22])])
    await old!.updateProgress(2)
    await enqueueSay(
      queue,
      { roomId: 'room-21', text: '通知', kind: 'notice', tier: 5, ref: deliveryRef(21) },
      { jobId: deliveryJobId(21) },
    )
    await enqueuePageBulk(queue, [pageOf([22, 23])])
    const states = await sendStatesOf(queue, [21, 22, 23])
    expect(Object.fromEntries(states)).toEqual({
      21: { state: 'inHand' },
      22: { state: 'inHand' },
      23: { state: 'inHand' },
    })
  })
})
