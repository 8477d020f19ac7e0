import { localDay } from '../core/local-time.ts'
import type { Schedule } from '../core/scheduler.ts'
import { enqueueDigest, enqueueSweep } from '../queues/sla-queue.ts'
import { slaQueueOf } from './sla-timer.ts'

/**
 * The order side's recurring jobs. Each tick only enqueues, with an id from the tick, so two
 * schedulers enqueue once: the digest by calendar day, the sweep by minute.
 */
export const orderSchedules: Schedule[] = [
  {
    name: 'orders-daily-digest',
    // 08:00 every day in the configured zone: before the stations' working day starts.
    cron: '0 8 * * *',
    run: (services, tick) =>
      enqueueDigest(slaQueueOf(services), { day: localDay(tick, services.timezone) }),
  },
  {
    name: 'orders-sla-sweep',
    // Every 5 minutes: a lost SLA timer costs at most 5 minutes of escalation delay.
    cron: '*/5 * * * *',
    run: (services, tick) => enqueueSweep(slaQueueOf(services), { tick: tick.getTime() }),
  },
]
