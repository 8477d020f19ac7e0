import type { Services } from '../runtime/services.ts'
import type { Stoppable } from '../runtime/stoppable.ts'

/** The broadcast side's background work (fan-out, reconciliation), run by `quanqun worker`. */
export async function startBroadcastWorkers(_services: Services): Promise<Stoppable[]> {
  return []
}
