/**
 * Arming SLA timers: one delayed job per running step, on the orders-sla queue. Arming is
 * idempotent (the job id is derived from the step and its due time) and never throws.
 */
import { Batcher } from '../core/batcher.ts'
import { cacheKey } from '../core/caches.ts'
import type { Services } from '../core/services.ts'
import {
  createSlaQueue,
  enqueueStepDues,
  type SlaQueue,
  type StepDueArm,
} from '../queues/sla-queue.ts'
import type { OrderRow } from './order-store.ts'
import { slaJobId } from './sla-time.ts'
import { stepOf } from './state-machine.ts'

type SlaServices = Pick<Services, 'connection' | 'queuePrefix' | 'caches'>

/**
 * The producer of the orders-sla queue, made on first use and shared by every handler call of
 * the Services, and the batcher that arms timers through it.
 */
class SlaTimers {
  private made: { queue: SlaQueue; arming: Batcher<StepDueArm, void> } | undefined

  constructor(private readonly services: SlaServices) {}

  get queue(): SlaQueue {
    return this.open().queue
  }

  get arming(): Batcher<StepDueArm, void> {
    return this.open().arming
  }

  private open() {
    if (!this.made) {
      const queue = createSlaQueue({
        connection: this.services.connection,
        prefix: this.services.queuePrefix,
      })
      // Timers armed together (a batch of orders) go to Redis in one round trip.
      const arming = new Batcher<StepDueArm, void>(async (arms) => {
        await enqueueStepDues(queue, arms)
        return new Map()
      })
      this.made = { queue, arming }
    }
    return this.made
  }

  async close(): Promise<void> {
    const made = this.made
    this.made = undefined
    await made?.queue.close()
  }
}

const SLA_TIMERS = cacheKey<SlaTimers>('orders.sla-timers')

function timersOf(services: SlaServices): SlaTimers {
  return services.caches.of(SLA_TIMERS, () => new SlaTimers(services))
}

/** The orders-sla queue's producer of the Services, shared by every handler call. */
export function slaQueueOf(services: SlaServices): SlaQueue {
  return timersOf(services).queue
}

export async function closeSlaQueue(services: SlaServices): Promise<void> {
  const timers = timersOf(services)
  services.caches.drop(SLA_TIMERS)
  await timers.close()
}

/**
 * Arms the timer of the order's running step, if any. Called after every committed move; a
 * failure is logged, not thrown: the sweep re-arms overdue steps from the table.
 */
export async function armSla(services: Services, order: OrderRow): Promise<void> {
  const step = stepOf(order.status)
  if (!step || !order.dueAt) return
  const { arming } = timersOf(services)
  try {
    await arming.load({
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
