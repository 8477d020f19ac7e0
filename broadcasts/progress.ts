import { and, desc, eq } from 'drizzle-orm'
import type { Services } from '../core/services.ts'
import { deliveries } from '../db/schema/broadcasts.ts'
import type { Tier } from '../network/types.ts'
import { deliveryOpen } from './delivery-store.ts'
import { noticeCode } from './notice-code.ts'
import {
  findNotice,
  finishIfDone,
  markSummarized,
  type Notice,
  noticeProgress,
  resendRound,
} from './notice-store.ts'
import { finished, tierDone } from './templates.ts'

/**
 * Whether any delivery of the tier is still pending or sending. Every send asks, so it stops at the
 * first open row instead of counting them all (counting would make the 8,200-building tier quadratic).
 */
async function anyOpenInTier(services: Services, noticeId: number, tier: Tier): Promise<boolean> {
  const rows = await services.db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.noticeId, noticeId), eq(deliveries.tier, tier), deliveryOpen()))
    // From the end: a tier's rooms are said in id order, so its open rows, while any, are there.
    .orderBy(desc(deliveries.id))
    .limit(1)
  return rows.length > 0
}

/** Says a progress line to the room the notice was written in; CLI notices only log it. */
export async function tellAuthor(
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
 * Called whenever deliveries of `tiers` left pending/sending (said, failed, skipped), all the
 * tiers of one batch together. The common case costs one indexed look-up per tier; only the last
 * delivery of a tier goes further:
 * - when the notice spans several tiers, one progress line per finished tier, top tier first
 *   (job id `notice-N12-t3-done` collapses the rare pair of callers finishing a tier together),
 *   except for the bottom tier when the notice is finished here: the summary says it;
 * - then, if the notice has nothing open, done (one UPDATE … WHERE finished_at IS NULL decides
 *   the one caller that sends the summary, even across processes).
 */
export async function reportProgress(
  services: Services,
  noticeId: number,
  tiers: Tier | readonly Tier[],
): Promise<void> {
  const finishedTiers: Tier[] = []
  for (const tier of [...new Set(typeof tiers === 'number' ? [tiers] : tiers)].sort()) {
    if (!(await anyOpenInTier(services, noticeId, tier))) finishedTiers.push(tier)
  }
  if (finishedTiers.length === 0) return
  const code = noticeCode(noticeId)
  const notice = await findNotice(services.db, noticeId)
  // 'done' too: another caller may have finished the notice between this one's look at its tiers
  // and here; its tier lines are still owed (their job ids keep each to one).
  // Paused too: a tier whose last send settled while paused is reported now, not never.
  if (notice?.status === 'confirmed' || notice?.status === 'done' || notice?.status === 'paused') {
    const progress = await noticeProgress(services.db, noticeId)
    const bottom = progress.tiers.at(-1)?.tier
    const allDone = progress.totals.pending === 0
    for (const tier of finishedTiers) {
      const t = progress.tiers.find((p) => p.tier === tier)
      if (!t || progress.tiers.length < 2 || (allDone && tier === bottom)) continue
      services.log.info({ notice: code, ...t }, 'notice tier finished')
      await tellAuthor(services, notice, tierDone(code, t), `notice-${code}-t${tier}-done`)
    }
  }
  await finishNotice(services, noticeId)
}

/**
 * Marks the notice done if nothing is open and, for the one caller whose UPDATE did it, says the
 * summary to the author. True when the notice is done by this call.
 */
export async function finishNotice(services: Services, noticeId: number): Promise<boolean> {
  const done = await finishIfDone(services.db, noticeId)
  if (!done) return false
  await sendSummary(services, done)
  return true
}

/**
 * Queues the final summary of a done notice, then records it queued (notices.summarized_at). If
 * Redis refuses, this throws and the summary stays owed: the reconciler calls this again. The job
 * id is the notice's (and its resend round's), so the rare second call that finds the summary
 * queued but not yet recorded collapses into the first: the author gets it exactly once.
 */
export async function sendSummary(
  services: Services,
  notice: Pick<Notice, 'id' | 'replyAccount' | 'replyRoomId'>,
): Promise<void> {
  const code = noticeCode(notice.id)
  const [progress, round] = await Promise.all([
    noticeProgress(services.db, notice.id),
    resendRound(services.db, notice.id),
  ])
  services.log.info({ notice: code, ...progress.totals }, 'notice finished')
  const jobId = round > 0 ? `notice-${code}-done-r${round}` : `notice-${code}-done`
  await tellAuthor(services, notice, finished(code, progress.totals), jobId)
  await markSummarized(services.db, notice.id)
}

/** reportProgress for hooks that must not throw: the reconciler finishes the notice anyway. */
export async function reportProgressSafely(
  services: Services,
  noticeId: number,
  tiers: Tier | readonly Tier[],
): Promise<void> {
  try {
    await reportProgress(services, noticeId, tiers)
  } catch (err) {
    services.log.error({ err, notice: noticeCode(noticeId), tiers }, 'progress report failed')
  }
}
