import type { DefaultJobOptions } from 'bullmq'

/** A job saying one message (OutboundMessage). */
export const SAY_JOB = 'say'
/** A job saying one text into many rooms (OutboundPage). The worker refuses any other name. */
export const SAY_PAGE_JOB = 'say-page'
export type SendJobName = typeof SAY_JOB | typeof SAY_PAGE_JOB

/**
 * How long a page job says inline before it goes back to the queue, so a reply queued meanwhile
 * (a higher priority) goes out within about this long rather than after the whole page.
 */
export const PAGE_TURN_MS = 1_000

/**
 * Retries, backoff and retention for send jobs. Throttling and pacing never consume an attempt
 * (they go back to waiting or delayed); attempts are spent only by real failures of `say`.
 */
export const sendJobOptions = {
  // 6 attempts with exponential backoff from 5 s: retries at 5, 10, 20, 40, 80 s (~2.5 min).
  attempts: 6,
  backoff: { type: 'exponential', delay: 5_000 },
  // Completed jobs: kept a day for inspection, at most 1,000 per account.
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  // Failed jobs are kept a week (7 * 24 * 3600 s) so someone can look at what went wrong.
  removeOnFail: { age: 7 * 24 * 3600 },
} as const satisfies DefaultJobOptions

/**
 * BullMQ honours a manual rate limit (`queue.rateLimit`) only when the worker has a limiter. This
 * one never binds by counting (max is unreachable); pacing.ts decides when to send, and the limiter
 * key is how the worker holds the whole account without holding a job.
 */
export const holdOnlyLimiter = { max: Number.MAX_SAFE_INTEGER, duration: 1_000 } as const

/**
 * Pacing waits up to this long are slept inside the job; longer ones put the job back (keeping
 * its priority) and hold the account, so a reply queued meanwhile can still go first and closing
 * the worker never waits on a long sleep.
 */
export const INLINE_WAIT_MAX_MS = 250

/**
 * The put-back of a job whose hooks could not reach PostgreSQL or Redis (InfrastructureError):
 * delayed by as long as the outage has lasted so far, at least `firstMs`, at most `maxMs`, so
 * retries thin out exponentially; no attempt is used, however long the outage lasts.
 */
export const infrastructureBackoff = { firstMs: 1_000, maxMs: 30_000 } as const

export interface InfrastructureBackoff {
  firstMs: number
  maxMs: number
}
