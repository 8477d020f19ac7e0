import { broadcastSchedules } from '../broadcasts/schedules.ts'
import { orderSchedules } from '../orders/schedules.ts'
import type { App } from './app.ts'
import { type Schedule, startScheduler } from './scheduler.ts'
import type { Stoppable } from './stoppable.ts'
import { startWorkers } from './workers.ts'

export const schedules: readonly Schedule[] = [...broadcastSchedules, ...orderSchedules]

export function startSchedulerRole(app: App): Stoppable {
  return startScheduler(app.services, schedules)
}

export function startWorkerRole(app: App): Promise<Stoppable> {
  return startWorkers(app.services)
}
