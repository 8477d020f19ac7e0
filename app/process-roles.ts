import { broadcastSchedules } from '../broadcasts/schedules.ts'
import { type Schedule, startScheduler } from '../core/scheduler.ts'
import type { Stoppable } from '../core/stoppable.ts'
import { orderSchedules } from '../orders/schedules.ts'
import type { App } from './app.ts'
import { privacySchedules } from './privacy.ts'
import { startWorkers } from './workers.ts'

const schedules: readonly Schedule[] = [
  ...broadcastSchedules,
  ...orderSchedules,
  ...privacySchedules,
]

export function startSchedulerRole(app: App): Stoppable {
  return startScheduler(app.services, schedules)
}

export function startWorkerRole(app: App): Promise<Stoppable> {
  return startWorkers(app.services)
}
