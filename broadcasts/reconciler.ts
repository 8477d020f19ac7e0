import { and, asc, eq, inArray, or, sql } from 'drizzle-orm'
import type { Services } from '../core/services.ts'
import type { Stoppable } from '../core/stoppable.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import { botAccounts, groups } from '../db/schema/network.ts'
import type { Tier } from '../network/types.ts'
import { failureReason } from '../queues/send-failures.ts'
import type { SendQueues } from '../queues/send-queues.ts'
import { chunk, groupBy, reachabilityOf } from './audience.ts'
import { enqueueDeliveries } from './delivery-jobs.ts'
import {
  type DeliveryRef,
  deliveryOpen,
  markFailed,
  markSent,
  markSkipped,
  type Sendable,
} from './delivery-store.ts'
import { noticeContent } from './notice-attachments.ts'
import { noticeCode } from './notice-code.ts'
import { unfinishedDoneNotices, unsummarizedNotices } from './notice-store.ts'
import { finishNotice, reportProgressSafely, sendSummary } from './progress.ts'
import { sendStatesOf } from './send-states.ts'
import { skipReasons } from './templates.ts'

export interface ReconcileOptions {
  /**
   * A delivery is looked at once it has been pending or sending this long (ms) since it was last
   * touched, confirmed or due: long enough for a fan-out to queue it and a send in flight to be
   * recorded, so the reconciler never races a healthy send.
   */
  staleMs: number
  /** Deliveries looked at per query; a run keeps going until a query returns fewer. */
  batch: number
  /** Upper bound on queries per run, so one run cannot hold the worker forever. */
  maxPasses?: number
}

/** How long after a cancel the reconciler still settles the notice's leftover sends. */
const CANCELLED_LOOKBACK_DAYS = 7

const defaultReconcileOptions: ReconcileOptions = {
  staleMs: 60_000,
  batch: 2_000,
  maxPasses: 20,
}

export interface ReconcileReport {
  checked: number
  /** No send job held them (Redis lost it, or it was never queued): queued again. */
  requeued: number
  /** Said (their page got past them, or their job completed), never recorded: the message is out. */
  markedSent: number
  /** Their job failed for good but the failed-hook never recorded it. */
  markedFailed: number
  /** Notice cancelled, or the bot no longer in the room. */
  markedSkipped: number
  /** Waiting, delayed (pacing, backoff) or in flight: left alone. */
  inHand: number
  /** Notices marked done here (the process that finished them died before it could). */
  finished: number
  /** Final summaries queued here: Redis refused them when the notice finished. */
  summarized: number
}

interface StaleRow {
  id: number
  noticeId: number
  tier: number
  noticeStatus: string
  text: string
  roomId: string | null
  active: boolean
  botAccountId: number | null
  account: string | null
  resends: number
  parts: number
  partsSaid: number
}

async function staleOpenDeliveries(
  services: Services,
  opts: ReconcileOptions,
): Promise<StaleRow[]> {
  return services.db
    .select({
      id: deliveries.id,
      noticeId: deliveries.noticeId,
      tier: deliveries.tier,
      noticeStatus: notices.status,
      text: notices.text,
      roomId: groups.roomId,
      active: groups.active,
      botAccountId: groups.botAccountId,
      account: botAccounts.name,
      resends: deliveries.resends,
      parts: deliveries.parts,
      partsSaid: deliveries.partsSaid,
    })
    .from(deliveries)
    .innerJoin(notices, eq(notices.id, deliveries.noticeId))
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .leftJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    .where(
      and(
        deliveryOpen(),
        // No index holds a delivery's status (its updates stay HOT), so the scan goes notice by
        // notice: the confirmed ones, and those cancelled lately, whose claims in flight the
        // cancel could not stop (it skips what is pending; what is sending ends within seconds).
        or(
          eq(notices.status, 'confirmed'),
          and(
            eq(notices.status, 'cancelled'),
            sql`${notices.finishedAt} > now() - (${CANCELLED_LOOKBACK_DAYS} * interval '1 day')`,
          ),
        ),
        // greatest() skips nulls: the latest of last touch, confirmation and scheduled time.
        sql`greatest(${deliveries.updatedAt}, ${notices.confirmedAt}, ${notices.scheduledAt})
          < now() - (${opts.staleMs} * interval '1 millisecond')`,
      ),
    )
    .orderBy(asc(deliveries.noticeId), asc(deliveries.tier), asc(deliveries.id))
    .limit(opts.batch)
}

/** Marks rows as looked at now, so the next pass and the next run leave them for staleMs. */
async function touch(services: Services, ids: readonly number[]): Promise<void> {
  for (const part of chunk(ids, 5_000)) {
    await services.db
      .update(deliveries)
      .set({ updatedAt: sql`now()` })
      .where(and(inArray(deliveries.id, part), deliveryOpen()))
  }
}

/**
 * One pass of making PostgreSQL true again, whatever Redis holds. For each stale open delivery
 * the state of its send in Redis (send-states.ts: its own job, or the page that holds it) decides:
 * - unknown (FLUSHALL, a lost AOF, never queued) → queued again;
 * - said (a job completes, and a page moves past a room, only after the say) → record it sent;
 * - failed → record the failure the failed-hook never wrote;
 * - in hand (waiting, delayed, active) → left alone.
 * Checking the state rather than re-adding blindly matters: BullMQ keeps finished job ids for a
 * while, so a blind re-add of a completed id would be a silent no-op.
 */
export async function reconcileOnce(
  deps: { services: Services; sendQueues: SendQueues },
  opts: ReconcileOptions = defaultReconcileOptions,
): Promise<ReconcileReport> {
  const { services, sendQueues } = deps
  const report: ReconcileReport = {
    checked: 0,
    requeued: 0,
    markedSent: 0,
    markedFailed: 0,
    markedSkipped: 0,
    inHand: 0,
    finished: 0,
    summarized: 0,
  }
  const changed: DeliveryRef[] = []
  const note = (ref: DeliveryRef | undefined) => {
    if (ref) changed.push(ref)
    return ref !== undefined
  }
  for (let pass = 0; pass < (opts.maxPasses ?? 20); pass++) {
    const rows = await staleOpenDeliveries(services, opts)
    report.checked += rows.length
    const sendable: (StaleRow & { account: string; roomId: string })[] = []
    for (const row of rows) {
      if (row.noticeStatus === 'cancelled') {
        if (note(await markSkipped(services.db, row.id, skipReasons.cancelled)))
          report.markedSkipped++
        continue
      }
      const reach = reachabilityOf(row)
      if (reach !== 'ok' || row.account === null || row.roomId === null) {
        const reason = reach === 'ok' ? skipReasons.noAccount : skipReasons[reach]
        if (note(await markSkipped(services.db, row.id, reason))) report.markedSkipped++
        continue
      }
      sendable.push({ ...row, account: row.account, roomId: row.roomId })
    }

    const requeue: typeof sendable = []
    const looked: number[] = []
    for (const [account, list] of groupBy(sendable, (r) => r.account)) {
      const states = await sendStatesOf(
        sendQueues.of(account),
        list.map((r) => r.id),
      )
      for (const row of list) {
        const send = states.get(row.id) ?? { state: 'unknown' }
        const log = { delivery: row.id, notice: noticeCode(row.noticeId), account }
        if (send.state === 'unknown') {
          requeue.push(row)
        } else if (send.state === 'said') {
          services.log.warn(log, 'reconcile: said but not recorded; marking sent')
          if (note(await markSent(services.db, row.id))) report.markedSent++
          // Redis knows a group's text only: its attachments go again from the first unsaid one
          // (each one's gate lets it out once, so a copy still in hand is never a second say).
          if (row.parts > 1) requeue.push({ ...row, partsSaid: Math.max(row.partsSaid, 1) })
        } else if (send.state === 'failed') {
          // The category only: a job's failedReason is an error's text.
          const reason = failureReason(send.reason ?? '')
          if (note(await markFailed(services.db, row.id, reason))) report.markedFailed++
        } else {
          looked.push(row.id)
          report.inHand++
        }
      }
    }

    for (const [noticeId, list] of groupBy(requeue, (r) => r.noticeId)) {
      const rowsToSend: Sendable[] = list.map((r) => ({
        id: r.id,
        noticeId,
        tier: r.tier as Tier,
        roomId: r.roomId,
        account: r.account,
        resends: r.resends,
        partsSaid: r.partsSaid,
      }))
      report.requeued += await enqueueDeliveries(
        sendQueues,
        rowsToSend,
        await noticeContent(services, { id: noticeId, text: list[0]!.text }),
      )
      services.log.warn(
        { notice: noticeCode(noticeId), deliveries: list.length },
        'reconcile: send jobs were missing; queued again',
      )
    }
    await touch(services, [...looked, ...requeue.map((r) => r.id)])
    if (rows.length < opts.batch) break
  }

  const seen = new Set<string>()
  for (const ref of changed) {
    const key = `${ref.noticeId}-${ref.tier}`
    if (seen.has(key)) continue
    seen.add(key)
    await reportProgressSafely(services, ref.noticeId, ref.tier)
  }
  for (const id of await unfinishedDoneNotices(services.db)) {
    if (await finishNotice(services, id)) report.finished++
  }
  // Summaries owed: queued under the notice's own job id, so a summary queued meanwhile by the
  // process that finished the notice is not said twice.
  for (const notice of await unsummarizedNotices(services.db)) {
    try {
      await sendSummary(services, notice)
      report.summarized++
    } catch (err) {
      services.log.error({ err, notice: noticeCode(notice.id) }, 'reconcile: summary not queued')
    }
  }
  return report
}

export interface ReconcilerOptions extends Partial<ReconcileOptions> {
  /** Time between runs (ms); a run never overlaps the previous one. */
  intervalMs?: number
}

const DEFAULT_RECONCILE_INTERVAL_MS = 30_000

/**
 * Runs reconcileOnce every interval in this process. A timer rather than a repeatable BullMQ job:
 * the reconciler exists for the day Redis loses its data, and a repeatable job would be lost with
 * it. Several worker processes may each run one; every step is idempotent (same job ids,
 * conditional UPDATEs), so they only repeat a little work.
 */
export interface Reconciler extends Stoppable {
  /** One run now, queued behind a run in progress; for tests and an operator's nudge. */
  runNow(): Promise<ReconcileReport>
}

export function startReconciler(
  deps: { services: Services; sendQueues: SendQueues },
  opts: ReconcilerOptions = {},
): Reconciler {
  const intervalMs = opts.intervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS
  const options: ReconcileOptions = {
    staleMs: opts.staleMs ?? defaultReconcileOptions.staleMs,
    batch: opts.batch ?? defaultReconcileOptions.batch,
    maxPasses: opts.maxPasses ?? defaultReconcileOptions.maxPasses ?? 20,
  }
  const log = deps.services.log.child({ component: 'reconciler' })
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<ReconcileReport | undefined> = Promise.resolve(undefined)

  const run = (): Promise<ReconcileReport | undefined> => {
    running = running.then(async () => {
      try {
        const report = await reconcileOnce(deps, options)
        const acted = report.requeued + report.markedSent + report.markedFailed + report.summarized
        if (acted + report.markedSkipped + report.finished > 0) log.warn(report, 'reconciled')
        else log.debug(report, 'reconciled: nothing to do')
        return report
      } catch (err) {
        log.error({ err }, 'reconcile run failed')
        return undefined
      }
    })
    return running
  }
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      void run().then(schedule)
    }, intervalMs)
  }
  schedule()
  return {
    async runNow() {
      const report = await run()
      if (!report) throw new Error('reconcile run failed')
      return report
    },
    async close() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
  }
}
