import { startBroadcastWorkers } from '../broadcasts/workers.ts'
import type { Services } from '../core/services.ts'
import type { Stoppable } from '../core/stoppable.ts'
import { startOrderWorkers } from '../orders/workers.ts'

/** The `worker` role: every domain's background workers; closing lets jobs in hand finish. */
export async function startWorkers(services: Services): Promise<Stoppable> {
  const running = [
    ...(await startBroadcastWorkers(services)),
    ...(await startOrderWorkers(services)),
  ]
  return {
    async close() {
      await Promise.all(running.map((r) => r.close()))
    },
  }
}
