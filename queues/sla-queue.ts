import { Queue } from 'bullmq'
import { z } from 'zod'
import { addJobs } from './add-jobs.ts'
import type { RedisClient } from './connection.ts'
import { SLA_JOBS, SLA_QUEUE, type SlaJobName, slaJobOptions } from './sla-options.ts'

/** Payloads, parsed again by the worker: data read back from Redis is untrusted. */
export const StepDueSchema = z.object({
  code: z.string().regex(/^[A-MO-Z]\d{4,6}$/),
  step: z.enum(['accept', 'complete', 'rate']),
  level: z.number().int().min(0).max(10),
  /** When the step runs out, ms since the epoch; compared with the order's own due time. */
  dueAt: z.number().int().positive(),
})
export const DigestSchema = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) })
export const SweepSchema = z.object({ tick: z.number().int().positive() })
export const AskExpiredSchema = z.object({ code: z.string().regex(/^[A-MO-Z]\d{4,6}$/) })

export type StepDue = z.infer<typeof StepDueSchema>
export type Digest = z.infer<typeof DigestSchema>
export type Sweep = z.infer<typeof SweepSchema>
export type AskExpired = z.infer<typeof AskExpiredSchema>

export type SlaQueue = Queue<unknown, void, SlaJobName>

export interface SlaQueueOptions {
  connection: RedisClient
  /** QUEUE_PREFIX; tests pass their own. */
  prefix: string
}

/** The producer side; the caller closes it, the connection stays the caller's. */
export function createSlaQueue(opts: SlaQueueOptions): SlaQueue {
  return new Queue<unknown, void, SlaJobName>(SLA_QUEUE, {
    connection: opts.connection,
    prefix: opts.prefix,
    defaultJobOptions: slaJobOptions,
  })
}

/** A step timer to arm: `opts.now` is the clock of the move that armed it. */
export interface StepDueArm {
  payload: StepDue
  opts: { jobId: string; now: number }
}

/**
 * Arms step timers in one round trip, never before now; the job id makes arming twice a no-op.
 * A bad payload throws before Redis and arms none of them.
 */
export async function enqueueStepDues(queue: SlaQueue, arms: readonly StepDueArm[]): Promise<void> {
  const jobs = arms.map(({ payload, opts }) => {
    const data = StepDueSchema.parse(payload)
    return {
      name: SLA_JOBS.stepDue,
      data,
      opts: { jobId: opts.jobId, delay: Math.max(0, data.dueAt - opts.now) },
    }
  })
  await addJobs(queue, jobs)
}

/** One digest per day: two schedulers ticking the same morning enqueue it once. */
export async function enqueueDigest(queue: SlaQueue, payload: Digest): Promise<void> {
  const data = DigestSchema.parse(payload)
  await queue.add(SLA_JOBS.digest, data, { jobId: `digest-${data.day}` })
}

export async function enqueueSweep(queue: SlaQueue, payload: Sweep): Promise<void> {
  const data = SweepSchema.parse(payload)
  await queue.add(SLA_JOBS.sweep, data, { jobId: `sweep-${data.tick}` })
}

/** The ask-back timeout of one order: `ask-<code>`, so asking again never arms a second one. */
export async function enqueueAskExpiry(
  queue: SlaQueue,
  payload: AskExpired,
  delayMs: number,
): Promise<void> {
  const data = AskExpiredSchema.parse(payload)
  await queue.add(SLA_JOBS.askExpired, data, {
    jobId: `ask-${data.code}`,
    delay: Math.max(0, delayMs),
  })
}
