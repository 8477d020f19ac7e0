import type { Services } from '../runtime/services.ts'
import type { Stoppable } from '../runtime/stoppable.ts'

/** The order side's background work (SLA escalation), run by `quanqun worker`. */
export async function startOrderWorkers(_services: Services): Promise<Stoppable[]> {
  return []
}
