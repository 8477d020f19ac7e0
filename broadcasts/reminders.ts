/**
 * Reminders before an event: a notice with an event time gets, when it is confirmed, one
 * scheduled notice per configured offset (default 3 days and 1 day before) to the same scope,
 * tiers and kinds. Each is a notice like any other — its own code, deliveries, pacing and
 * receipt — held until its time by the fan-out's delayed job. A reminder's dedupe key names
 * the notice and the offset, so a replayed confirm or a second process creates none twice, and
 * cancelling the notice finds its reminders by that key.
 */
import { and, inArray, like } from 'drizzle-orm'
import { formatLocalTime } from '../core/local-time.ts'
import type { Services } from '../core/services.ts'
import { notices } from '../db/schema/broadcasts.ts'
import type { Tier } from '../network/types.ts'
import type { NoticeActor } from './authorize.ts'
import { createNotice } from './create-notice.ts'
import { startFanout } from './fan-out.ts'
import { noticeCode } from './notice-code.ts'
import { markCancelled, markConfirmed, type NoticeWithScope } from './notice-store.ts'
import { noticeTexts } from './templates.ts'

const DAY_MS = 86_400_000
const DEFAULT_OFFSETS_MS = [3 * DAY_MS, DAY_MS]
/**
 * A reminder due sooner than this after the confirm would arrive on the notice's heels (or half
 * its offset, for offsets of minutes: tests and drills).
 */
const MIN_LEAD_MS = 60_000

/** When each reminder goes out: the event time less each offset, those still ahead. Pure. */
export function reminderTimes(
  eventAt: Date,
  now: Date,
  offsetsMs: readonly number[] = DEFAULT_OFFSETS_MS,
): { at: Date; offsetMs: number }[] {
  return [...new Set(offsetsMs)]
    .filter((offsetMs) => offsetMs > 0)
    .sort((a, b) => b - a)
    .map((offsetMs) => ({ at: new Date(eventAt.getTime() - offsetMs), offsetMs }))
    .filter(
      ({ at, offsetMs }) => at.getTime() - now.getTime() >= Math.min(MIN_LEAD_MS, offsetMs / 2),
    )
}

/** The offsets this process uses (NOTICE_REMINDERS, or 3 days and 1 day). */
function reminderOffsets(services: Pick<Services, 'notices'>): readonly number[] {
  return services.notices?.reminderOffsetsMs ?? DEFAULT_OFFSETS_MS
}

const keyPrefix = (noticeId: number) => `reminder:${noticeCode(noticeId)}:`

/** Creates and confirms the reminders of a just-confirmed notice; returns their local times. */
export async function scheduleReminders(
  services: Services,
  notice: NoticeWithScope,
  actor: NoticeActor,
): Promise<string[]> {
  if (!notice.eventAt) return []
  const code = noticeCode(notice.id)
  const event = formatLocalTime(notice.eventAt, services.timezone)
  const times: string[] = []
  for (const { at, offsetMs } of reminderTimes(
    notice.eventAt,
    services.now(),
    reminderOffsets(services),
  )) {
    const created = await createNotice(services, {
      actor,
      scope: notice.scopePath,
      tiers: (notice.tiers ?? undefined) as Tier[] | undefined,
      kinds: notice.kinds ?? undefined,
      text: noticeTexts.reminderText(event, notice.text),
      scheduledAt: at,
      eventAt: null,
      dedupeKey: `${keyPrefix(notice.id)}${offsetMs}`,
    })
    if (!created.ok) {
      services.log.warn({ notice: code, reason: created.reason }, 'reminder not created')
      continue
    }
    const confirmed = await markConfirmed(services.db, created.notice.id)
    if (confirmed) await startFanout(services, confirmed)
    times.push(formatLocalTime(at, services.timezone))
  }
  return times
}

/** Cancels the reminders of a notice not yet sent; returns how many were stopped. */
export async function cancelReminders(services: Services, noticeId: number): Promise<number> {
  const pending = await services.db
    .select({ id: notices.id })
    .from(notices)
    .where(
      and(
        like(notices.dedupeKey, `${keyPrefix(noticeId)}%`),
        inArray(notices.status, ['draft', 'confirmed', 'paused']),
      ),
    )
  let cancelled = 0
  for (const { id } of pending) if (await markCancelled(services.db, id)) cancelled++
  return cancelled
}
