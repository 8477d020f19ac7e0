import type { Services } from '../core/services.ts'
import type { Stoppable } from '../core/stoppable.ts'
import { createSlaWorker } from '../queues/sla-worker.ts'
import { expireQuestion } from './ask-back.ts'
import { reloadCatalog } from './catalogue.ts'
import { sendDigest } from './digest.ts'
import { onStepDue, sweepOverdue } from './sla.ts'
import { closeSlaQueue } from './sla-timer.ts'

/**
 * The order side's background work, run by `quanqun worker`: SLA escalation, the daily digest,
 * the re-arming sweep, ask-back timeouts. Start-up loads the catalogue (idempotent) and re-arms overdue steps once,
 * so a worker starting after Redis lost its data catches up at once.
 */
export async function startOrderWorkers(services: Services): Promise<Stoppable[]> {
  const categories = await reloadCatalog(services)
  const worker = createSlaWorker({
    connection: services.connection,
    prefix: services.queuePrefix,
    log: services.log,
    processors: {
      stepDue: (due) => onStepDue(services, due),
      digest: async ({ day }) => {
        await sendDigest(services, day)
      },
      askExpired: ({ code }) => expireQuestion(services, code),
      sweep: async () => {
        const n = await sweepOverdue(services)
        if (n > 0) services.log.info({ rearmed: n }, 'overdue SLA timers re-armed')
      },
    },
  })
  await worker.waitUntilReady()
  const rearmed = await sweepOverdue(services)
  services.log.info({ categories, rearmed }, 'order workers started')
  return [
    {
      async close() {
        await worker.close()
        await closeSlaQueue(services)
      },
    },
  ]
}
