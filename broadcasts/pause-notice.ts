/**
 * 暂停 / 继续 a notice being sent (listmonk's pause). A paused notice says nothing more: the send
 * hook (delivery-ledger.ts) finds it paused at each delivery's gate and holds the send (HoldError),
 * so the send worker parks the job where it stopped, its attempts and a page's progress kept, and
 * the rows stay pending. Resuming sets it sending again and wakes those parked jobs: each room left
 * is said once, by the job that held it. The fan-out goes on queueing a paused notice's tiers (its
 * pages park at their first room), so nothing has to be re-planned at resume.
 */
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import type { SendQueues } from '../queues/send-queues.ts'
import { groupBy } from './audience.ts'
import { type ActionResult, findManageable, type NoticeAction } from './confirm-notice.ts'
import { enqueueDeliveries } from './delivery-jobs.ts'
import { openOfNotice, type Sendable } from './delivery-store.ts'
import { noticeContent } from './notice-attachments.ts'
import { auditNotice } from './notice-audit.ts'
import { noticeCode } from './notice-code.ts'
import { type Notice, noticeProgress } from './notice-store.ts'
import { finishNotice, tellAuthor } from './progress.ts'
import { delayedJobsHolding, sendStatesOf } from './send-states.ts'
import { pauseTexts } from './templates.ts'

/**
 * How long a held send waits before its gate asks again (ms). A resume wakes the parked jobs at
 * once; this bounds the wait of one it missed (parked just after the resume looked). Each parked
 * page asks once per hold: the 11,000-group district's ~110 pages, 11 gate reads a second.
 */
export const PAUSED_HOLD_MS = 10_000

/** When a notice pauses itself: `failures` failed sends, and at least `ratio` of those finished. */
interface AutoPauseRule {
  /** 0 turns auto-pause off. */
  failures: number
  ratio: number
}

/** 20 rooms refusing and one in ten of those tried: an account banned, not a few dead rooms. */
const DEFAULT_AUTO_PAUSE: AutoPauseRule = { failures: 20, ratio: 0.1 }

/** The system's ref in the audit log for a pause nobody typed. */
const AUTO_PAUSE_ACTOR = 'system:auto-pause'

type PauseOutcome = 'paused' | 'alreadyPaused' | 'notSending' | 'unknown' | 'refused'
type ResumeOutcome = 'resumed' | 'notPaused' | 'unknown' | 'refused'

/** confirmed → paused in one conditional UPDATE; `auto` pauses only a notice never auto-paused. */
async function markPaused(db: Db, id: number, auto = false): Promise<Notice | undefined> {
  const [row] = await db
    .update(notices)
    .set({ status: 'paused', ...(auto ? { autoPausedAt: sql`now()` } : {}) })
    .where(
      and(
        eq(notices.id, id),
        eq(notices.status, 'confirmed'),
        auto ? isNull(notices.autoPausedAt) : undefined,
      ),
    )
    .returning()
  return row
}

async function markResumed(db: Db, id: number): Promise<Notice | undefined> {
  const [row] = await db
    .update(notices)
    .set({ status: 'confirmed' })
    .where(and(eq(notices.id, id), eq(notices.status, 'paused')))
    .returning()
  return row
}

/**
 * 暂停 N12 / `quanqun notice pause N12` / the console's 暂停发送: sends stop at once (a claim a
 * send worker took just before may still be said, within seconds, as with 取消). Authorized and
 * audited as 取消 is.
 */
export async function pauseNotice(
  services: Services,
  action: NoticeAction,
): Promise<ActionResult<PauseOutcome>> {
  const found = await findManageable(services, action, 'notice.pause')
  if (!found.ok) return found.result
  const { notice, code, audit } = found
  const paused = await markPaused(services.db, notice.id)
  if (!paused) {
    return notice.status === 'paused'
      ? { outcome: 'alreadyPaused', message: pauseTexts.alreadyPaused(code) }
      : { outcome: 'notSending', message: pauseTexts.notSending(code) }
  }
  await auditNotice(services.db, audit, true, { notice: code })
  const { totals } = await noticeProgress(services.db, notice.id)
  services.log.info(
    { notice: code, actor: action.actor.ref, pending: totals.pending },
    'notice paused',
  )
  return { outcome: 'paused', message: pauseTexts.paused(code, totals.sent, totals.pending) }
}

export interface ResumeOptions {
  /** False when the caller knows Redis is unreachable (the CLI probes it): the reconciler queues. */
  queue?: boolean
  /** Where the sends are queued; the messenger's queues by default. */
  sendQueues?: SendQueues
}

/**
 * 继续 N12 / `quanqun notice resume N12` / the console's 继续发送: paused → sending, then the
 * parked sends woken. Rows no job holds any more (Redis lost them while paused) are queued again
 * as the reconciler would, under the same deterministic page ids. If Redis refuses now, the
 * parked jobs wake by themselves within PAUSED_HOLD_MS and the reconciler queues the rest.
 */
export interface ResumeResult extends ActionResult<ResumeOutcome> {
  /** Parked jobs woken, and deliveries queued again because no job held them any more. */
  woken: number
  requeued: number
}

export async function resumeNotice(
  services: Services,
  action: NoticeAction,
  opts: ResumeOptions = {},
): Promise<ResumeResult> {
  const none = { woken: 0, requeued: 0 }
  const found = await findManageable(services, action, 'notice.resume')
  if (!found.ok) return { ...found.result, ...none }
  const { notice, code, audit } = found
  const resumed = await markResumed(services.db, notice.id)
  if (!resumed) return { outcome: 'notPaused', message: pauseTexts.notPaused(code), ...none }
  await auditNotice(services.db, audit, true, { notice: code })
  // Counted before the sends wake: what is left at the resume, not after the first few went.
  const { totals } = await noticeProgress(services.db, notice.id)
  const queues = opts.sendQueues ?? services.messenger.queues
  let queued = false
  let woken = none
  if (opts.queue !== false) {
    try {
      woken = await wakeSends(services, queues, resumed)
      queued = true
    } catch (err) {
      services.log.error({ err, notice: code }, 'resumed sends not woken; reconciler will')
    }
  }
  // Everything may have settled while it was paused (the last sends in flight at the pause).
  await finishNotice(services, notice.id)
  services.log.info({ notice: code, actor: action.actor.ref, queued, ...woken }, 'notice resumed')
  return {
    outcome: 'resumed',
    message: pauseTexts.resumed(code, totals.pending),
    queued,
    ...woken,
  }
}

/** Promotes the parked jobs holding the notice's open deliveries; queues those no job holds. */
async function wakeSends(
  services: Services,
  queues: SendQueues,
  notice: Notice,
): Promise<{ woken: number; requeued: number }> {
  const open = await openOfNotice(services.db, notice.id)
  let woken = 0
  const lost: Sendable[] = []
  for (const [account, rows] of groupBy(open, (r) => r.account)) {
    const queue = queues.of(account)
    const ids = new Set(rows.map((r) => r.id))
    for (const job of await delayedJobsHolding(queue, ids)) {
      // A job that left the delayed set meanwhile (woke by itself) needs no promotion.
      if (
        await job.promote().then(
          () => true,
          () => false,
        )
      )
        woken++
    }
    const states = await sendStatesOf(queue, [...ids])
    lost.push(...rows.filter((r) => states.get(r.id)?.state === 'unknown'))
  }
  if (lost.length > 0) await enqueueDeliveries(queues, lost, await noticeContent(services, notice))
  return { woken, requeued: lost.length }
}

/** Sends of the notice given up for good, and those finished either way (sent or failed). */
async function failureCounts(
  db: Db,
  noticeId: number,
): Promise<{ failed: number; finished: number }> {
  const [row] = await db
    .select({
      failed: sql<number>`count(*) filter (where ${deliveries.status} = 'failed')::int`,
      finished: sql<number>`count(*) filter (where ${deliveries.status} in ('sent', 'failed'))::int`,
    })
    .from(deliveries)
    .where(eq(deliveries.noticeId, noticeId))
  return { failed: Number(row?.failed ?? 0), finished: Number(row?.finished ?? 0) }
}

/**
 * Called by the send hook after a delivery failed for good: when the notice's failures reach the
 * rule (NOTICE_AUTO_PAUSE_FAILURES, NOTICE_AUTO_PAUSE_RATIO) it pauses itself, once in its life,
 * audited under the system's ref, and the author is told where progress goes. True when paused.
 */
export async function pauseIfFailing(services: Services, noticeId: number): Promise<boolean> {
  const rule = services.notices?.autoPause ?? DEFAULT_AUTO_PAUSE
  if (rule.failures <= 0) return false
  const { failed, finished } = await failureCounts(services.db, noticeId)
  if (failed < rule.failures || failed < rule.ratio * finished) return false
  const paused = await markPaused(services.db, noticeId, true)
  if (!paused) return false
  const code = noticeCode(noticeId)
  await auditNotice(
    services.db,
    {
      actor: { kind: 'operator', ref: AUTO_PAUSE_ACTOR },
      action: 'notice.pause',
      unitId: paused.scopeUnitId,
    },
    true,
    { notice: code, failed, finished },
  )
  services.log.warn({ notice: code, failed, finished }, 'notice paused itself: too many failures')
  await tellAuthor(
    services,
    paused,
    pauseTexts.autoPaused(code, failed, finished),
    `notice-${code}-auto-paused`,
  )
  return true
}
