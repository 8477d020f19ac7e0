import {
  and,
  asc,
  eq,
  getTableColumns,
  gt,
  inArray,
  isNull,
  ne,
  not,
  or,
  type SQL,
  sql,
} from 'drizzle-orm'
import { anyInt } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import { botAccounts, groups, units } from '../db/schema/network.ts'
import type { GroupWithUnit, Tier } from '../network/types.ts'
import { skipReasons } from './templates.ts'

/** A delivery ready to be queued: where it goes and on which account's send queue. */
export interface Sendable {
  id: number
  noticeId: number
  tier: Tier
  roomId: string
  account: string
  /** Times it was re-queued by an operator: its jobs then get ids of their own (see enqueue). */
  resends?: number
  /** Its messages already said (text, attachments): it is queued again from the next one. */
  partsSaid?: number
}

/** Which notice and tier a delivery belongs to, for progress once it changed state. */
export interface DeliveryRef {
  noticeId: number
  tier: Tier
}

/** Deliveries still to be said: queued, or taken by a send worker and not yet recorded. */
const OPEN_DELIVERY_STATUSES = ['pending', 'sending'] as const

/** The condition that a delivery is open (OPEN_DELIVERY_STATUSES). */
export function deliveryOpen(): SQL {
  return inArray(deliveries.status, [...OPEN_DELIVERY_STATUSES])
}

/** Longest reason kept per delivery (reasons are short categories; a bound all the same). */
const MAX_ERROR = 100

const refColumns = { noticeId: deliveries.noticeId, tier: deliveries.tier }
const asRef = (row: { noticeId: number; tier: number } | undefined): DeliveryRef | undefined =>
  row && { noticeId: row.noticeId, tier: row.tier as Tier }

/**
 * Marks the tier's deliveries whose group the bot cannot say into (removed from the room, room not
 * bound yet, no account) as skipped with the reason, and points the others at the account that
 * holds the room now (a room may have moved since the notice was written).
 */
export async function settleTierAudience(db: Db, noticeId: number, tier: Tier): Promise<number> {
  const mine = and(
    eq(deliveries.noticeId, noticeId),
    eq(deliveries.tier, tier),
    eq(deliveries.status, 'pending'),
    eq(groups.id, deliveries.groupId),
  )
  const skipped = await db
    .update(deliveries)
    .set({
      status: 'skipped',
      lastError: sql`case
        when ${groups.botAccountId} is null then ${skipReasons.noAccount}
        when ${groups.roomId} is null then ${skipReasons.unbound}
        else ${skipReasons.inactive} end`,
      updatedAt: sql`now()`,
    })
    .from(groups)
    .where(
      and(
        mine,
        or(isNull(groups.botAccountId), isNull(groups.roomId), not(eq(groups.active, true))),
      ),
    )
    .returning({ id: deliveries.id })
  await db
    .update(deliveries)
    .set({ botAccountId: sql`${groups.botAccountId}` })
    .from(groups)
    .where(and(mine, sql`${deliveries.botAccountId} is distinct from ${groups.botAccountId}`))
  return skipped.length
}

/** Pending deliveries of one tier with their room and account, a page at a time by id. */
export async function pendingOfTier(
  db: Db,
  noticeId: number,
  tier: Tier,
  afterId: number,
  limit: number,
): Promise<Sendable[]> {
  return sendableWhere(
    db,
    and(
      eq(deliveries.noticeId, noticeId),
      eq(deliveries.tier, tier),
      eq(deliveries.status, 'pending'),
      gt(deliveries.id, afterId),
    ),
    limit,
  )
}

/** A notice's deliveries still to be said, with their room and account: what a resume wakes. */
export async function openOfNotice(db: Db, noticeId: number): Promise<Sendable[]> {
  return sendableWhere(db, and(eq(deliveries.noticeId, noticeId), deliveryOpen()))
}

/**
 * Deliveries matching `where` with the room and account to send them through, in send order
 * (tier, then id); rows whose group has no room now are left out.
 */
async function sendableWhere(db: Db, where: SQL | undefined, limit?: number): Promise<Sendable[]> {
  const query = db
    .select({
      id: deliveries.id,
      noticeId: deliveries.noticeId,
      tier: deliveries.tier,
      roomId: groups.roomId,
      account: botAccounts.name,
      resends: deliveries.resends,
      partsSaid: deliveries.partsSaid,
    })
    .from(deliveries)
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    .where(where)
    .orderBy(asc(deliveries.tier), asc(deliveries.id))
  const rows = limit === undefined ? await query : await query.limit(limit)
  return rows.flatMap((r) =>
    r.roomId === null ? [] : [{ ...r, tier: r.tier as Tier, roomId: r.roomId }],
  )
}

export type BeginSend =
  | { say: true }
  | {
      say: false
      changed?: DeliveryRef
      /** 'earlier': an attachment whose group has not had the message before it yet. */
      why: 'done' | 'cancelled' | 'paused' | 'inactive' | 'missing' | 'earlier'
    }

const idIn = (ids: readonly number[]) => anyInt(deliveries.id, ids)

/**
 * The send hook's gate for a batch of deliveries, before the puppet says anything. One conditional
 * UPDATE takes each delivery (pending or sending → sending, attempts + 1) only while its notice is
 * confirmed and its group active; for one it does not take, the delivery's state says why: already
 * sent or given up (never say it again), the notice cancelled, the bot out of the room (both
 * recorded as skipped).
 *
 * `ahead` are deliveries whose jobs come next on the same accounts: the same statement takes them
 * too (an attempt each, like any take), and only those taken are in the result; one it does not
 * take is left as it is, for its own gate to explain.
 *
 * Every take marks the row `outcome_unknown` (a say is about to start) and counts in `uncertain` a
 * take of a row already so marked: a say of it started before and never came back as sent, so
 * this one may repeat what the puppet delivered (可能重复). `unsaid` are ids the caller knows were
 * not said since their last take (a claim ahead that expired unused): not counted.
 *
 * The claim is committed without waiting for the WAL flush (synchronous_commit off): losing it in
 * a PostgreSQL crash leaves the delivery pending, which every path (the send hook, the cancel, the
 * reconciler) treats as it treats `sending`. That saves an fsync per batch on the send's path;
 * the row lock orders the claim against a cancel all the same.
 */
export async function beginSends(
  db: Db,
  ids: readonly number[],
  ahead: readonly number[] = [],
  unsaid: readonly number[] = [],
): Promise<Map<number, BeginSend>> {
  const gates = new Map<number, BeginSend>()
  if (ids.length === 0) return gates
  const asked = new Set(ids)
  const all = [...ids, ...ahead.filter((id) => !asked.has(id))]
  const taken = await db
    .update(deliveries)
    .set({
      status: 'sending',
      attempts: sql`${deliveries.attempts} + 1`,
      // A take after one whose say never came back as sent may repeat what the puppet delivered:
      // counted, for 回执's 可能重复. In this statement, so the send path has no extra round trip.
      uncertain:
        unsaid.length === 0
          ? sql`${deliveries.uncertain} + ${deliveries.outcomeUnknown}::int`
          : sql`${deliveries.uncertain} + (${deliveries.outcomeUnknown} and not ${anyInt(deliveries.id, unsaid)})::int`,
      outcomeUnknown: true,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        // Evaluated once (an init plan); applies to this statement's own transaction only.
        sql`(select set_config('synchronous_commit', 'off', true)) is not null`,
        idIn(all),
        deliveryOpen(),
        // A group with attachments stays open after its text: the text is never said again.
        eq(deliveries.partsSaid, 0),
        // Scalar subqueries, not EXISTS: PostgreSQL turns an EXISTS into a join it may start from
        // the notice, and on a notice's fresh rows (statistics not caught up) that reads all
        // 11,000 of them per gate (10-15 ms) instead of the few asked for by primary key.
        sql`(select ${notices.status} from ${notices} where ${notices.id} = ${deliveries.noticeId}) = 'confirmed'`,
        sql`(select ${groups.active} from ${groups} where ${groups.id} = ${deliveries.groupId})`,
      ),
    )
    .returning({ id: deliveries.id })
  for (const { id } of taken) gates.set(id, { say: true })
  for (const id of ids) if (!gates.has(id)) gates.set(id, await whyNotSaid(db, id))
  return gates
}

/**
 * The gate of one attachment (part ≥ 1) of a delivery: taken only while the group has had exactly
 * the messages before it (`parts_said` = part), so it is never said twice nor ahead of the text,
 * and on the same conditions as the text's gate. One statement per part: attachments are a few
 * per group, said seconds apart by a paced account, so the text path's batching buys nothing here.
 */
export async function beginPart(db: Db, id: number, part: number): Promise<BeginSend> {
  const taken = await db
    .update(deliveries)
    .set({ status: 'sending', updatedAt: sql`now()` })
    .where(
      and(
        eq(deliveries.id, id),
        eq(deliveries.partsSaid, part),
        deliveryOpen(),
        sql`(select ${notices.status} from ${notices} where ${notices.id} = ${deliveries.noticeId}) = 'confirmed'`,
        sql`(select ${groups.active} from ${groups} where ${groups.id} = ${deliveries.groupId})`,
      ),
    )
    .returning({ id: deliveries.id })
  return taken.length > 0 ? { say: true } : whyNotSaid(db, id, part)
}

/**
 * An attachment said: the group has had the messages up to it, and the row is sent with its last
 * one. Recorded whatever the row said before, since the message is out; a part recorded already
 * changes nothing (undefined).
 */
export async function markPartSaid(
  db: Db,
  id: number,
  part: number,
): Promise<(DeliveryRef & { done: boolean }) | undefined> {
  const [row] = await db
    .update(deliveries)
    .set({
      partsSaid: part + 1,
      status: sql`case when ${part + 1} >= ${deliveries.parts} then 'sent' else ${deliveries.status} end`,
      sentAt: sql`case when ${part + 1} >= ${deliveries.parts} then now() else ${deliveries.sentAt} end`,
      lastError: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(deliveries.id, id), sql`${deliveries.partsSaid} <= ${part}`))
    .returning({ ...refColumns, status: deliveries.status })
  return row && { ...asRef(row)!, done: row.status === 'sent' }
}

/** A delivery the gate did not take: recorded as skipped when that is the reason. */
async function whyNotSaid(db: Db, id: number, part = 0): Promise<BeginSend> {
  const [row] = await db
    .select({
      partsSaid: deliveries.partsSaid,
      status: deliveries.status,
      noticeStatus: notices.status,
      active: groups.active,
    })
    .from(deliveries)
    .innerJoin(notices, eq(notices.id, deliveries.noticeId))
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .where(eq(deliveries.id, id))
  if (!row) return { say: false, why: 'missing' }
  if (!(OPEN_DELIVERY_STATUSES as readonly string[]).includes(row.status))
    return { say: false, why: 'done' }
  if (row.partsSaid > part) return { say: false, why: 'done' }
  // Whoever holds the message before it (its own retry, a later page) holds this one too.
  if (part > 0 && row.partsSaid < part) return { say: false, why: 'earlier' }
  // Paused: left open as it is (pending, or sending from a claim never used), for the resume.
  if (row.noticeStatus === 'paused') return { say: false, why: 'paused' }
  if (row.noticeStatus !== 'confirmed') {
    // A draft never has send jobs; anything else not confirmed was cancelled (or is done, which
    // cannot have open deliveries). Either way nothing more goes out for it.
    const changed = await markSkipped(db, id, skipReasons.cancelled)
    return { say: false, why: 'cancelled', ...(changed && { changed }) }
  }
  const changed = await markSkipped(db, id, skipReasons.inactive)
  return { say: false, why: 'inactive', ...(changed && { changed }) }
}

/** Said: recorded whatever the row said before, since the message is out. */
export async function markSent(db: Db, id: number): Promise<DeliveryRef | undefined> {
  return (await markSentMany(db, [id]))[0]
}

/**
 * markSent for a batch in one statement (one commit): the notice and tier of each delivery it
 * changed, for progress. Deliveries already sent are left as they are and not returned. These are
 * texts: a delivery with attachments has had its first message and stays open for them.
 */
export async function markSentMany(db: Db, ids: readonly number[]): Promise<DeliveryRef[]> {
  if (ids.length === 0) return []
  const single = sql`${deliveries.parts} <= 1`
  const rows = await db
    .update(deliveries)
    .set({
      status: sql`case when ${single} then 'sent' else ${deliveries.status} end`,
      sentAt: sql`case when ${single} then now() else ${deliveries.sentAt} end`,
      partsSaid: sql`greatest(${deliveries.partsSaid}, 1)`,
      lastError: null,
      updatedAt: sql`now()`,
    })
    .where(and(idIn(ids), ne(deliveries.status, 'sent'), eq(deliveries.partsSaid, 0)))
    .returning(refColumns)
  return rows.map((r) => asRef(r)!)
}

/**
 * Retries exhausted: failed with the reason, unless it was meanwhile recorded otherwise. `reason`
 * is a category (SendFailureReason), never an error's text: it is stored and shown in 回执.
 */
export async function markFailed(
  db: Db,
  id: number,
  reason: string,
): Promise<DeliveryRef | undefined> {
  const [row] = await db
    .update(deliveries)
    .set({ status: 'failed', lastError: reason.slice(0, MAX_ERROR), updatedAt: sql`now()` })
    .where(and(eq(deliveries.id, id), deliveryOpen()))
    .returning(refColumns)
  return asRef(row)
}

export async function markSkipped(
  db: Db,
  id: number,
  reason: string,
): Promise<DeliveryRef | undefined> {
  const [row] = await db
    .update(deliveries)
    .set({ status: 'skipped', lastError: reason, updatedAt: sql`now()` })
    .where(and(eq(deliveries.id, id), deliveryOpen()))
    .returning(refColumns)
  return asRef(row)
}

/**
 * An operator's resend: the notice's failed deliveries never resent before go back to pending,
 * their resend count + 1, in one statement (so two resends at once re-queue each row once). The
 * rows re-opened, with their room and account, in send order; a row whose group has no room or
 * account now is re-opened all the same and settled by the reconciler.
 */
export async function reopenFailed(db: Db, noticeId: number): Promise<Sendable[]> {
  const reopened = await db
    .update(deliveries)
    .set({
      status: 'pending',
      resends: sql`${deliveries.resends} + 1`,
      lastError: null,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(deliveries.noticeId, noticeId),
        eq(deliveries.status, 'failed'),
        eq(deliveries.resends, 0),
      ),
    )
    .returning({ id: deliveries.id })
  if (reopened.length === 0) return []
  return sendableWhere(db, idIn(reopened.map((r) => r.id)))
}

/** How many failed deliveries the notice has, and how many of them were resent already. */
export async function failedCounts(
  db: Db,
  noticeId: number,
): Promise<{ failed: number; resent: number }> {
  const [row] = await db
    .select({
      failed: sql<number>`count(*)::int`,
      resent: sql<number>`count(*) filter (where ${deliveries.resends} > 0)::int`,
    })
    .from(deliveries)
    .where(and(eq(deliveries.noticeId, noticeId), eq(deliveries.status, 'failed')))
  return { failed: Number(row?.failed ?? 0), resent: Number(row?.resent ?? 0) }
}

/** The groups a notice was said in, as an audience (a correction goes to exactly these). */
export async function reachedGroups(db: Db, noticeId: number): Promise<GroupWithUnit[]> {
  return db
    .select({ ...getTableColumns(groups), tier: units.tier, unitPath: units.path })
    .from(deliveries)
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .innerJoin(units, eq(units.id, groups.unitId))
    .where(and(eq(deliveries.noticeId, noticeId), eq(deliveries.status, 'sent')))
    .orderBy(asc(units.tier), asc(units.path), asc(groups.id))
}
