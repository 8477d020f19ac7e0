import type { Services } from '../core/services.ts'
import type { Moved } from './act.ts'
import { type AnnounceExtras, announce } from './notify.ts'
import { armSla } from './sla-timer.ts'

/** What follows every committed move: tell the people concerned, start the next step's clock. */
export async function afterMove(
  services: Services,
  moved: Moved,
  extras: AnnounceExtras = {},
): Promise<void> {
  await announce(services, moved, extras)
  await armSla(services, moved.order)
}
