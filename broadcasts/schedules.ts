import { eq } from 'drizzle-orm'
import type { Schedule } from '../core/scheduler.ts'
import type { Services } from '../core/services.ts'
import { units } from '../db/schema/network.ts'
import type { NoticeActor } from './authorize.ts'
import { confirmNotice } from './confirm-notice.ts'
import { createNotice } from './create-notice.ts'
import { noticeCode } from './notice-code.ts'
import { type RecurringNotice, recurringNotices } from './recurring.ts'

/** The notices created for one tick (one per scope), by code; refusals are logged. */
export async function runRecurringNotice(
  services: Services,
  def: RecurringNotice,
  tick: Date,
): Promise<string[]> {
  const actor: NoticeActor = { kind: 'operator', ref: `schedule:${def.name}` }
  const scopes = def.scope
    ? [{ path: def.scope, key: '' }]
    : (await services.db.select().from(units).where(eq(units.tier, 1))).map((u) => ({
        path: u.path,
        key: `:${u.id}`,
      }))
  const codes: string[] = []
  for (const scope of scopes) {
    // The key is the whole guard against a second scheduler (or a retried tick): the notice
    // insert does nothing on a key already present, and confirming twice starts one fan-out.
    const dedupeKey = `${def.name}:${tick.toISOString()}${scopes.length > 1 ? scope.key : ''}`
    const created = await createNotice(services, {
      actor,
      scope: scope.path,
      tiers: def.tiers,
      kinds: def.kinds,
      text: def.text,
      dedupeKey,
    })
    if (!created.ok) {
      services.log.warn(
        { schedule: def.name, scope: scope.path, reason: created.reason },
        'recurring notice not created',
      )
      continue
    }
    await confirmNotice(services, { id: created.notice.id, actor })
    codes.push(noticeCode(created.notice.id))
  }
  return codes
}

export function recurringSchedule(def: RecurringNotice): Schedule {
  return {
    name: `notice-${def.name}`,
    cron: def.cron,
    ...(def.timezone ? { timezone: def.timezone } : {}),
    run: async (services, tick) => {
      await runRecurringNotice(services, def, tick)
    },
  }
}

/** Recurring jobs of this domain (recurring.ts as data); each run writes to the outbox. */
export const broadcastSchedules: readonly Schedule[] = recurringNotices.map(recurringSchedule)
