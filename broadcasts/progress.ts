import { and, eq, inArray } from 'drizzle-orm'
import { deliveries } from '../db/schema/broadcasts.ts'
import type { Tier } from '../network/types.ts'
import type { Services } from '../runtime/services.ts'
import { noticeCode } from './codes.ts'
import {
  findNotice,
  finishIfDone,
  type Notice,
  noticeProgress,
  OPEN_STATUSES,
} from './notice-store.ts'
import { finished, tierDone } from './templates.ts'

/**
 * Whether any delivery of the tier is still pending or sending. Every send asks, so it stops at the
 * first open row instead of counting them all (a count made the 8,200-building tier quadratic).
 */
async function anyOpenInTier(services: Services, noticeId: number, tier: Tier): Promise<boolean> {
  const rows = await services.db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.noticeId, noticeId),
        eq(deliveries.tier, tier),
        inArray(deliveries.status, [...OPEN_STATUSES]),
      ),
    )
    .limit(1)
  return rows.length > 0
}

/** Says a progress line to the room the notice was written in; CLI notices only log it. */
async function tellAuthor(
  services: Services,
  notice: Pick<Notice, 'id' | 'replyAccount' | 'replyRoomId'>,
  text: string,
  jobId: string,
): Promise<void> {
  if (!notice.replyAccount || !notice.replyRoomId) return
  await services.messenger.toRoom(
    notice.replyAccount,
    notice.replyRoomId,
    { text, kind: 'reply', ref: `notice:${notice.id}` },
    jobId,
  )
}

/**
 * Called whenever deliveries of `tier` left pending/sending (said, failed, skipped). The common
 * case costs one indexed look-up; only the last delivery of a tier goes further:
 * - the notice has nothing open → done (one UPDATE … WHERE finished_at IS NULL decides the one
 *   caller that sends the summary, even across processes);
 * - otherwise, when the notice spans several tiers, one progress line for the finished tier
 *   (job id `notice-N12-t3-done` collapses the rare pair of callers finishing the tier together).
 */
export async function reportProgress(
  services: Services,
  noticeId: number,
  tier: Tier,
): Promise<void> {
  if (await anyOpenInTier(services, noticeId, tier)) return
  if (await finishNotice(services, noticeId)) return
  const code = noticeCode(noticeId)
  const notice = await findNotice(services.db, noticeId)
  if (notice?.status !== 'confirmed') return
  const progress = await noticeProgress(services.db, noticeId)
  const t = progress.tiers.find((p) => p.tier === tier)
  if (!t || progress.tiers.length < 2) return
  services.log.info({ notice: code, ...t }, 'notice tier finished')
  await tellAuthor(services, notice, tierDone(code, t), `notice-${code}-t${tier}-done`)
}

/**
 * Marks the notice done if nothing is open and, for the one caller whose UPDATE did it, says the
 * summary to the author. True when the notice is done by this call.
 */
export async function finishNotice(services: Services, noticeId: number): Promise<boolean> {
  const done = await finishIfDone(services.db, noticeId)
  if (!done) return false
  const code = noticeCode(noticeId)
  const progress = await noticeProgress(services.db, noticeId)
  services.log.info({ notice: code, ...progress.totals }, 'notice finished')
  await tellAuthor(services, done, finished(code, progress.totals), `notice-${code}-done`)
  return true
}

/** reportProgress for hooks that must not throw: the reconciler finishes the notice anyway. */
export async function reportProgressSafely(
  services: Services,
  noticeId: number,
  tier: Tier,
): Promise<void> {
  try {
    await reportProgress(services, noticeId, tier)
  } catch (err) {
    services.log.error({ err, notice: noticeCode(noticeId), tier }, 'progress report failed')
  }
}
