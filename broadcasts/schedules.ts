import type { Schedule } from '../runtime/scheduler.ts'

/** Recurring jobs of this domain; each run only enqueues. */
export const broadcastSchedules: readonly Schedule[] = []
