/**
 * Arming SLA timers: one delayed job per running step, on the orders-sla queue. Arming is
 * idempotent (the job id is derived from the step and its due time) and never throws.
 */
import type { Redis } from 'ioredis'
import { type Batcher, writerOf } from '../core/batcher.ts'
import type { Services } from '../core/services.ts'
import {
  createSlaQueue,
  enqueueStepDues,
  type SlaQueue,
  type StepDueArm,
} from '../queues/sla-queue.ts'
import { slaJobId } from './sla-time.ts'
import { stepOf } from './state-machine.ts'
import type { OrderRow } from './store.ts'

const queues = new WeakMap<Redis, Map<string, SlaQueue>>()

/** One producer per connection and prefix, shared by every handler call in the process. */
export function slaQueueOf(services: Pick<Services, 'connection' | 'queuePrefix'>): SlaQueue {
  let byPrefix = queues.get(services.connection)
  if (!byPrefix) {
    byPrefix = new Map()
    queues.set(services.connection, byPrefix)
  }
  let queue = byPrefix.get(services.queuePrefix)
  if (!queue) {
    queue = createSlaQueue({ connection: services.connection, prefix: services.queuePrefix })
    byPrefix.set(services.queuePrefix, queue)
  }
  return queue
}

export async function closeSlaQueue(services: Pick<Services, 'connection' | 'queuePrefix'>) {
  const byPrefix = queues.get(services.connection)
  const queue = byPrefix?.get(services.queuePrefix)
  if (!queue) return
  byPrefix!.delete(services.queuePrefix)
  await queue.close()
}

const arming = new WeakMap<SlaQueue, Batcher<StepDueArm, void>>()

/**
 * Arms the timer of the order's running step, if any. Called after every committed move; a
 * failure is logged, not thrown: the sweep re-arms overdue steps from the table.
 */
export async function armSla(services: Services, order: OrderRow): Promise<void> {
  const step = stepOf(order.status)
  if (!step || !order.dueAt) return
  const queue = slaQueueOf(services)
  try {
    // Timers armed together (a batch of orders) go to Redis in one round trip.
    await writerOf(arming, queue, (arms) => enqueueStepDues(queue, arms)).load({
      payload: { code: order.code, step, level: order.escalations, dueAt: order.dueAt.getTime() },
      opts: {
        jobId: slaJobId(order.code, step, order.escalations, order.dueAt),
        now: services.now().getTime(),
      },
    })
  } catch (err) {
    services.log.error({ err, order: order.code, step }, 'arming the SLA timer failed')
  }
}
