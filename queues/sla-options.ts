import type { DefaultJobOptions } from 'bullmq'

/**
 * One queue for the order side's timed work: SLA steps, the daily digest, the re-arming sweep.
 * Braced: a Redis Cluster hash tag, so the queue's keys share a slot (see sendQueueName).
 */
export const SLA_QUEUE = '{orders-sla}'

export const SLA_JOBS = {
  /** A step (accept, complete) of one order runs out: escalate it if nobody acted. */
  stepDue: 'step-due',
  /** Each workers/staff group hears its open and overdue orders. */
  digest: 'daily-digest',
  /** Re-arms overdue steps from PostgreSQL, so a Redis that lost its data loses no escalation. */
  sweep: 'sweep',
  /** A resident asked which category they meant never answered: the station sorts the order. */
  askExpired: 'ask-expired',
} as const

export type SlaJobName = (typeof SLA_JOBS)[keyof typeof SLA_JOBS]

export const slaJobOptions = {
  // 5 attempts, exponential from 2 s: retries at 2, 4, 8, 16 s when PostgreSQL hiccups.
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  // Completed jobs stay a day (24 * 3600 s): a second digest or sweep of the same id collapses.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  // Failures stay a week (7 * 24 * 3600 s) for someone to look at.
  removeOnFail: { age: 7 * 24 * 3600 },
} as const satisfies DefaultJobOptions
