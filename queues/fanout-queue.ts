import { type DefaultJobOptions, type Job, Queue } from 'bullmq'
import { z } from 'zod'
import type { RedisClient } from './connection.ts'

/** The one job name on the fan-out queue; the worker refuses any other. */
export const FANOUT_JOB = 'fanout-tier'
/** Braced: a Redis Cluster hash tag, so the queue's keys share a slot (see sendQueueName). */
export const FANOUT_QUEUE = '{fanout}'

/** Queue one tier of one notice: its send jobs go on each group's account send queue. */
export const FanoutPayloadSchema = z.object({
  noticeId: z.number().int().positive(),
  tier: z.number().int().min(1).max(5),
})
export type FanoutPayload = z.infer<typeof FanoutPayloadSchema>

export type FanoutQueue = Queue<FanoutPayload, void, typeof FANOUT_JOB>
export type FanoutJob = Job<FanoutPayload, void, typeof FANOUT_JOB>

/**
 * "fanout-N12-t3": a confirm replayed, a worker restarted or two workers racing add the same
 * id, so each tier of a notice is walked by one job at a time.
 */
export function fanoutJobId(p: FanoutPayload): string {
  return `fanout-N${p.noticeId}-t${p.tier}`
}

const fanoutJobOptions = {
  // A tier's fan-out is idempotent (page ids come from the deliveries they hold), so retrying is safe:
  // 8 attempts from 1 s doubling cover a Redis or PostgreSQL blip of about four minutes.
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  // Kept a day (24 * 3600 s) so a replayed confirm within the day still collapses on the id.
  removeOnComplete: { age: 24 * 3600 },
  // Failures kept a week (7 * 24 * 3600 s) for someone to read; the reconciler sends anyway.
  removeOnFail: { age: 7 * 24 * 3600 },
} as const satisfies DefaultJobOptions

export function createFanoutQueue(opts: { connection: RedisClient; prefix: string }): FanoutQueue {
  return new Queue<FanoutPayload, void, typeof FANOUT_JOB>(FANOUT_QUEUE, {
    connection: opts.connection,
    prefix: opts.prefix,
    defaultJobOptions: fanoutJobOptions,
  })
}

/** Queues one tier's fan-out; `delayMs` holds a scheduled notice (`--at`) until its time. */
export async function enqueueFanout(
  queue: FanoutQueue,
  payload: FanoutPayload,
  opts: { delayMs?: number } = {},
): Promise<FanoutJob> {
  const data = FanoutPayloadSchema.parse(payload)
  const delay = Math.max(0, Math.floor(opts.delayMs ?? 0))
  return queue.add(FANOUT_JOB, data, {
    jobId: fanoutJobId(data),
    ...(delay > 0 ? { delay } : {}),
  })
}
