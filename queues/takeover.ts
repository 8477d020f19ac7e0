import type { WorkerOptions } from 'bullmq'

/** How soon a job in hand of a killed process goes to another worker; tests shorten both. */
export interface Takeover {
  /**
   * How long a job stays claimed without its lock renewed (ms): after a worker is killed, its job
   * is handed to another worker once the lock expires and a stalled check runs.
   */
  lockDurationMs?: number
  /**
   * How often stalled jobs are looked for (ms). Give every worker of the queue the same value: a
   * check sets a key that holds off every other worker's check for this long.
   */
  stalledIntervalMs?: number
}

/** The BullMQ worker options for `t`; BullMQ's defaults (30 s each) where it says nothing. */
export function takeoverOptions(
  t: Takeover,
): Pick<WorkerOptions, 'lockDuration' | 'stalledInterval'> {
  return {
    ...(t.lockDurationMs === undefined ? {} : { lockDuration: t.lockDurationMs }),
    ...(t.stalledIntervalMs === undefined ? {} : { stalledInterval: t.stalledIntervalMs }),
  }
}
