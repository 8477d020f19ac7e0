/**
 * 撤回's rows: the platform's id of each message said for a delivery (`delivery_messages`), and
 * how taking each back ended, per message and per delivery (`deliveries.recall`).
 */
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm'
import { intArray, textArray } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { deliveries, deliveryMessages, type RecallState } from '../db/schema/broadcasts.ts'
import { botAccounts, groups } from '../db/schema/network.ts'
import type { Tier } from '../network/types.ts'

export interface SaidMessage {
  deliveryId: number
  part: number
  messageId: string
}

/**
 * Keeps the ids the puppet gave; a message recorded already keeps its first id and time. The rows
 * go as three array parameters (a fan-out's write-behind records ~1,000 at once): a VALUES list
 * of 3,000 parameters cost more to build and send than the insert itself.
 */
export async function recordMessages(db: Db, rows: readonly SaidMessage[]): Promise<void> {
  if (rows.length === 0) return
  await db.execute(sql`
    insert into ${deliveryMessages} (delivery_id, part, message_id)
    select d, p, m
    from unnest(${intArray(rows.map((r) => r.deliveryId))}::int[],
                ${intArray(rows.map((r) => r.part))}::smallint[],
                ${textArray(rows.map((r) => r.messageId))}) as u(d, p, m)
    on conflict do nothing`)
}

/** A message of the notice not yet asked to be taken back, with where it was said. */
export interface Recallable extends SaidMessage {
  tier: Tier
  saidAt: Date
  roomId: string | null
  account: string | null
}

export async function recallableMessages(db: Db, noticeId: number): Promise<Recallable[]> {
  const rows = await db
    .select({
      deliveryId: deliveryMessages.deliveryId,
      part: deliveryMessages.part,
      messageId: deliveryMessages.messageId,
      saidAt: deliveryMessages.saidAt,
      tier: deliveries.tier,
      roomId: groups.roomId,
      account: botAccounts.name,
    })
    .from(deliveryMessages)
    .innerJoin(deliveries, eq(deliveries.id, deliveryMessages.deliveryId))
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .leftJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    .where(and(eq(deliveries.noticeId, noticeId), isNull(deliveryMessages.recall)))
    .orderBy(asc(deliveries.tier), asc(deliveries.id), asc(deliveryMessages.part))
  return rows.map((r) => ({ ...r, tier: r.tier as Tier }))
}

type MessageKey = { deliveryId: number; part: number }

const keyIs = (m: MessageKey) =>
  and(eq(deliveryMessages.deliveryId, m.deliveryId), eq(deliveryMessages.part, m.part))

/**
 * Records how taking one message back went, only over the state it is expected in (`from`:
 * asked and pending, or never asked), so a late outcome never overwrites an earlier one. Whether
 * it changed anything.
 */
export async function markMessageRecall(
  db: Db,
  message: MessageKey,
  state: RecallState,
  from: 'pending' | 'unasked' = 'pending',
): Promise<boolean> {
  const rows = await db
    .update(deliveryMessages)
    .set({ recall: state, ...(state === 'recalled' && { recalledAt: sql`now()` }) })
    .where(
      and(
        keyIs(message),
        from === 'pending'
          ? eq(deliveryMessages.recall, 'pending')
          : isNull(deliveryMessages.recall),
      ),
    )
    .returning({ id: deliveryMessages.deliveryId })
  return rows.length > 0
}

/** A message's notice, time said and take-back state, for the take-back's own gate. */
export async function saidMessage(
  db: Db,
  message: MessageKey,
): Promise<{ noticeId: number; saidAt: Date; recall: RecallState | null } | undefined> {
  const [row] = await db
    .select({
      noticeId: deliveries.noticeId,
      saidAt: deliveryMessages.saidAt,
      recall: deliveryMessages.recall,
    })
    .from(deliveryMessages)
    .innerJoin(deliveries, eq(deliveries.id, deliveryMessages.deliveryId))
    .where(keyIs(message))
  return row
}

/**
 * Settles `deliveries.recall` of the notice's deliveries whose messages all have an outcome: the
 * worst of them (failed, then too-late, then recalled). A delivery that said more messages than
 * it kept ids for (a puppet that returns none) cannot be taken back whole: failed.
 */
export async function settleDeliveryRecall(db: Db, noticeId: number): Promise<void> {
  await db.execute(sql`
    update ${deliveries} d set recall = case
        when m.failed > 0 or m.n < d.parts_said then 'failed'
        when m.late > 0 then 'too-late'
        else 'recalled' end
    from (
      select d2.id,
        count(dm.part)::int as n,
        count(*) filter (where dm.recall = 'failed')::int as failed,
        count(*) filter (where dm.recall = 'too-late')::int as late,
        count(*) filter (where dm.part is not null
          and (dm.recall is null or dm.recall = 'pending'))::int as open
      from ${deliveries} d2
      left join ${deliveryMessages} dm on dm.delivery_id = d2.id
      where d2.notice_id = ${noticeId} and d2.parts_said > 0
      group by d2.id
    ) m
    where d.id = m.id and d.recall is null and m.open = 0`)
}

/** Messages of the notice still being taken back. */
export async function pendingRecalls(db: Db, noticeId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(deliveryMessages)
    .innerJoin(deliveries, eq(deliveries.id, deliveryMessages.deliveryId))
    .where(and(eq(deliveries.noticeId, noticeId), eq(deliveryMessages.recall, 'pending')))
  return Number(row?.n ?? 0)
}

/** Deliveries of the notice that said something, counted by tier and take-back outcome. */
export async function recallCounts(
  db: Db,
  noticeId: number,
): Promise<{ tier: Tier; recall: RecallState | null; n: number }[]> {
  const rows = await db
    .select({ tier: deliveries.tier, recall: deliveries.recall, n: sql<number>`count(*)::int` })
    .from(deliveries)
    .where(and(eq(deliveries.noticeId, noticeId), gt(deliveries.partsSaid, 0)))
    .groupBy(deliveries.tier, deliveries.recall)
    .orderBy(asc(deliveries.tier))
  return rows.map((r) => ({ tier: r.tier as Tier, recall: r.recall, n: Number(r.n) }))
}

/** Rows of the notice claimed by a send in flight: 撤回 waits them out before it looks. */
export async function sendingCount(db: Db, noticeId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(deliveries)
    .where(and(eq(deliveries.noticeId, noticeId), eq(deliveries.status, 'sending')))
  return Number(row?.n ?? 0)
}
