import {
  and,
  asc,
  count,
  desc,
  eq,
  getTableColumns,
  inArray,
  isNull,
  like,
  notExists,
  or,
  sql,
} from 'drizzle-orm'
import { intArray } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { noticeAttachments } from '../db/schema/attachments.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import { botAccounts, groups, units } from '../db/schema/network.ts'
import { descendantsPattern } from '../network/names.ts'
import type { Tier } from '../network/types.ts'
import { type AudiencePlan, chunk } from './audience.ts'
import { deliveryOpen } from './delivery-store.ts'
import { type DoubtfulGroup, type MissedGroup, type NoticeProgress, summarize } from './report.ts'
import { skipReasons } from './templates.ts'

export type Notice = typeof notices.$inferSelect
export type NewNotice = typeof notices.$inferInsert
export type NoticeWithScope = Notice & { scopePath: string }

/** Rows per INSERT: bounds one statement's work and size (~7 KB of array text per column). */
const DELIVERY_BATCH = 1_000

/**
 * The outbox write: the notice and one delivery row per target group, in one transaction and in
 * multi-row statements. With a `dedupeKey` already present nothing is written and the existing
 * notice is returned, so a scheduler tick fired twice (or by two schedulers) creates one notice.
 */
export async function insertNoticeWithDeliveries(
  db: Db,
  values: NewNotice,
  plan: AudiencePlan,
  batchSize = DELIVERY_BATCH,
  attachments: (noticeId: number) => (typeof noticeAttachments.$inferInsert)[] = () => [],
): Promise<{ notice: Notice; created: boolean }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(notices)
      .values(values)
      .onConflictDoNothing({ target: notices.dedupeKey })
      .returning()
    if (!row) {
      const [existing] = await tx
        .select()
        .from(notices)
        .where(eq(notices.dedupeKey, values.dedupeKey ?? ''))
      if (!existing) throw new Error(`notice insert conflicted but no notice has that dedupe key`)
      return { notice: existing, created: false }
    }
    const attached = attachments(row.id)
    if (attached.length > 0) await tx.insert(noticeAttachments).values(attached)
    // Each group gets the text and then every attachment (see deliveries.parts).
    const parts = attached.length + 1
    for (const rows of chunk(plan.deliveries, batchSize)) {
      // unnest of three array parameters: a statement's size does not grow with its rows'
      // parameters, and it is ~1.8x faster than a 4,000-parameter VALUES list at this size.
      await tx.execute(sql`
        insert into ${deliveries} (notice_id, group_id, tier, bot_account_id, parts)
        select ${row.id}, g, t, b, ${parts}
        from unnest(${intArray(rows.map((r) => r.groupId))}::int[],
                    ${intArray(rows.map((r) => r.tier))}::smallint[],
                    ${intArray(rows.map((r) => r.botAccountId))}::int[]) as u(g, t, b)`)
    }
    return { notice: row, created: true }
  })
}

export async function findNotice(db: Db, id: number): Promise<NoticeWithScope | undefined> {
  const [row] = await db
    .select({ ...getTableColumns(notices), scopePath: units.path })
    .from(notices)
    .innerJoin(units, eq(units.id, notices.scopeUnitId))
    .where(eq(notices.id, id))
  return row
}

/** 双人审核: the author's 确认 of a draft that needs approval; false when already asked. */
export async function markApprovalRequested(db: Db, id: number): Promise<boolean> {
  const rows = await db
    .update(notices)
    .set({ approvalRequestedAt: sql`now()` })
    .where(
      and(eq(notices.id, id), eq(notices.status, 'draft'), isNull(notices.approvalRequestedAt)),
    )
    .returning({ id: notices.id })
  return rows.length > 0
}

/** draft → confirmed; undefined when it was not a draft (already confirmed, a replayed 确认). */
export async function markConfirmed(
  db: Db,
  id: number,
  approvedByMemberId?: number,
): Promise<Notice | undefined> {
  const [row] = await db
    .update(notices)
    .set({
      status: 'confirmed',
      confirmedAt: sql`now()`,
      ...(approvedByMemberId === undefined ? {} : { approvedByMemberId }),
    })
    .where(and(eq(notices.id, id), eq(notices.status, 'draft')))
    .returning()
  return row
}

/**
 * Cancels a draft or a notice being sent: deliveries not yet taken by a send worker are skipped
 * here, and one in flight is skipped by the send hook when it sees the notice cancelled.
 */
export async function markCancelled(
  db: Db,
  id: number,
): Promise<{ notice: Notice; stopped: number } | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(notices)
      .set({ status: 'cancelled', finishedAt: sql`now()` })
      .where(and(eq(notices.id, id), inArray(notices.status, ['draft', 'confirmed', 'paused'])))
      .returning()
    if (!row) return undefined
    const stopped = await tx
      .update(deliveries)
      .set({ status: 'skipped', lastError: skipReasons.cancelled, updatedAt: sql`now()` })
      .where(and(eq(deliveries.noticeId, id), eq(deliveries.status, 'pending')))
      .returning({ id: deliveries.id })
    return { notice: row, stopped: stopped.length }
  })
}

export async function noticeProgress(db: Db, id: number): Promise<NoticeProgress> {
  const rows = await db
    .select({ tier: deliveries.tier, status: deliveries.status, n: count() })
    .from(deliveries)
    .where(eq(deliveries.noticeId, id))
    .groupBy(deliveries.tier, deliveries.status)
  return summarize(rows)
}

/** Groups the notice failed or skipped, top tier first; `limit` cuts the list, not the total. */
export async function missedGroups(
  db: Db,
  id: number,
  limit?: number,
): Promise<{ missed: MissedGroup[]; total: number }> {
  const missedWhere = and(
    eq(deliveries.noticeId, id),
    inArray(deliveries.status, ['failed', 'skipped']),
  )
  const query = db
    .select({
      topic: groups.topic,
      tier: deliveries.tier,
      status: deliveries.status,
      reason: deliveries.lastError,
    })
    .from(deliveries)
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .where(missedWhere)
    .orderBy(asc(deliveries.tier), asc(deliveries.id))
  const [rows, [total]] = await Promise.all([
    limit === undefined ? query : query.limit(limit),
    db.select({ n: count() }).from(deliveries).where(missedWhere),
  ])
  return {
    missed: rows.map((r) => ({
      topic: r.topic,
      tier: r.tier as Tier,
      status: r.status as MissedGroup['status'],
      reason: r.reason,
    })),
    total: Number(total?.n ?? 0),
  }
}

/**
 * confirmed → done once nothing is open. The row lock and the `finished_at is null` re-check make
 * exactly one caller win even when the last two deliveries finish at the same instant on two
 * accounts: the winner sends the author the summary.
 */
export async function finishIfDone(db: Db, id: number): Promise<Notice | undefined> {
  const [row] = await db
    .update(notices)
    .set({ status: 'done', finishedAt: sql`now()` })
    .where(
      and(
        eq(notices.id, id),
        eq(notices.status, 'confirmed'),
        isNull(notices.finishedAt),
        notExists(
          db
            .select({ one: sql`1` })
            .from(deliveries)
            .where(and(eq(deliveries.noticeId, id), deliveryOpen())),
        ),
      ),
    )
    .returning()
  return row
}

/** Confirmed notices nothing is open for, but never marked done (a crash between the two). */
export async function unfinishedDoneNotices(db: Db, limit = 100): Promise<number[]> {
  const rows = await db
    .select({ id: notices.id })
    .from(notices)
    .where(
      and(
        eq(notices.status, 'confirmed'),
        isNull(notices.finishedAt),
        sql`(${notices.scheduledAt} is null or ${notices.scheduledAt} <= now())`,
        notExists(
          db
            .select({ one: sql`1` })
            .from(deliveries)
            .where(and(eq(deliveries.noticeId, notices.id), deliveryOpen())),
        ),
      ),
    )
    .limit(limit)
  return rows.map((r) => r.id)
}

/** The tiers a notice has deliveries in, top down: the fan-out walks them in this order. */
export async function noticeTiers(db: Db, id: number): Promise<Tier[]> {
  const rows = await db
    .selectDistinct({ tier: deliveries.tier })
    .from(deliveries)
    .where(eq(deliveries.noticeId, id))
    .orderBy(asc(deliveries.tier))
  return rows.map((r) => r.tier as Tier)
}

/** The final summary was queued (or has nowhere to go): it is owed no more. */
export async function markSummarized(db: Db, id: number): Promise<void> {
  await db
    .update(notices)
    .set({ summarizedAt: sql`now()` })
    .where(and(eq(notices.id, id), isNull(notices.summarizedAt)))
}

/**
 * Done notices whose final summary is still owed: the caller that finished one could not queue
 * it (Redis down at that moment, or the process died in between). Finished within the last week.
 */
export async function unsummarizedNotices(db: Db, limit = 100): Promise<Notice[]> {
  return db
    .select()
    .from(notices)
    .where(
      and(
        eq(notices.status, 'done'),
        isNull(notices.summarizedAt),
        sql`${notices.finishedAt} > now() - interval '7 days'`,
      ),
    )
    .orderBy(asc(notices.id))
    .limit(limit)
}

/**
 * Groups that got the notice and may have got it twice (a send after one whose outcome the
 * platform never told), top tier first; `limit` cuts the list, not the total.
 */
export async function doubtfulGroups(
  db: Db,
  id: number,
  limit?: number,
): Promise<{ doubtful: DoubtfulGroup[]; total: number }> {
  const where = and(
    eq(deliveries.noticeId, id),
    eq(deliveries.status, 'sent'),
    sql`${deliveries.uncertain} > 0`,
  )
  const query = db
    .select({ topic: groups.topic, tier: deliveries.tier, uncertain: deliveries.uncertain })
    .from(deliveries)
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .where(where)
    .orderBy(asc(deliveries.tier), asc(deliveries.id))
  const [rows, [total]] = await Promise.all([
    limit === undefined ? query : query.limit(limit),
    db.select({ n: count() }).from(deliveries).where(where),
  ])
  return {
    doubtful: rows.map((r) => ({ topic: r.topic, tier: r.tier as Tier, uncertain: r.uncertain })),
    total: Number(total?.n ?? 0),
  }
}

/**
 * An operator's resend re-opens a done notice: confirmed again, to be finished (and summed up,
 * under a job id of the resend's own) again.
 */
export async function reopenNotice(db: Db, id: number): Promise<void> {
  await db
    .update(notices)
    .set({ status: 'confirmed', finishedAt: null, summarizedAt: null })
    .where(and(eq(notices.id, id), eq(notices.status, 'done')))
}

/** The most resends any delivery of the notice had: 0 before an operator's resend. */
export async function resendRound(db: Db, id: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(max(${deliveries.resends}), 0)::int` })
    .from(deliveries)
    .where(eq(deliveries.noticeId, id))
  return Number(row?.n ?? 0)
}

/** Groups of the notice per bot account ('' for groups without one): the preview's estimate. */
export async function deliveriesPerAccount(
  db: Db,
  id: number,
): Promise<{ account: string; groups: number }[]> {
  const rows = await db
    .select({ account: botAccounts.name, n: count() })
    .from(deliveries)
    .leftJoin(botAccounts, eq(botAccounts.id, deliveries.botAccountId))
    .where(eq(deliveries.noticeId, id))
    .groupBy(botAccounts.name)
  return rows.map((r) => ({ account: r.account ?? '', groups: Number(r.n) }))
}

/**
 * The latest notices a member may see: authored by them, or scoped within a unit where they may
 * author (the same rule as 回执, `mayView`, read as SQL over the grants' paths).
 */
export async function visibleNotices(
  db: Db,
  who: { memberId: number; ref: string; authorPaths: readonly string[] },
  limit = 50,
): Promise<NoticeWithScope[]> {
  const within = who.authorPaths.map((p) =>
    or(eq(units.path, p), like(units.path, descendantsPattern(p))),
  )
  return db
    .select({ ...getTableColumns(notices), scopePath: units.path })
    .from(notices)
    .innerJoin(units, eq(units.id, notices.scopeUnitId))
    .where(or(eq(notices.authorMemberId, who.memberId), eq(notices.authorRef, who.ref), ...within))
    .orderBy(desc(notices.id))
    .limit(limit)
}
