import { type ScheduledTask, schedule, validate } from 'node-cron'
import type { Services } from './services.ts'
import type { Stoppable } from './stoppable.ts'

/**
 * A recurring job as data. `run` only enqueues, with a job id derived from `tick` (the minute the
 * cron fired), so two schedulers firing the same tick enqueue once.
 */
export interface Schedule {
  name: string
  cron: string
  /** IANA zone; the configured TIMEZONE (Asia/Shanghai) when absent. */
  timezone?: string
  run(services: Services, tick: Date): Promise<void>
}

/** Refuses a bad cron string or a duplicate name at start-up, not at the first tick. */
export function assertSchedules(schedules: readonly Schedule[]): void {
  const seen = new Set<string>()
  for (const s of schedules) {
    if (!validate(s.cron)) throw new Error(`schedule ${s.name}: invalid cron "${s.cron}"`)
    if (seen.has(s.name)) throw new Error(`schedule ${s.name} is defined twice`)
    seen.add(s.name)
  }
}

/** The minute a tick belongs to: both schedulers of a pair compute the same value. */
export function tickOf(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 60_000) * 60_000)
}

/** The `scheduler` role: node-cron ticks that enqueue; stopping it stops every task. */
export function startScheduler(services: Services, schedules: readonly Schedule[]): Stoppable {
  assertSchedules(schedules)
  const tasks: ScheduledTask[] = schedules.map((s) =>
    schedule(
      s.cron,
      async (ctx) => {
        const tick = tickOf(ctx.triggeredAt ?? ctx.date)
        try {
          await s.run(services, tick)
        } catch (error) {
          services.log.error({ err: error, schedule: s.name, tick }, 'schedule tick failed')
        }
      },
      { name: s.name, timezone: s.timezone ?? services.timezone, noOverlap: true },
    ),
  )
  return {
    async close() {
      await Promise.all(tasks.map((t) => t.destroy()))
    },
  }
}
