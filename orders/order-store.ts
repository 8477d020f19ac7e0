/**
 * Orders and their timeline in PostgreSQL, one order at a time: plain functions taking `db` (or a
 * transaction). A move goes through `applyAction` (act.ts), a new order through `placeOrder`
 * (intake.ts, whose batched statements are in intake-sql.ts); listings are in order-queries.ts.
 */
import { and, count, desc, eq, inArray, isNotNull } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { orderEvents, orders, serviceCatalog } from '../db/schema/orders.ts'
import { unitById } from '../network/queries.ts'
import type { EventType, OrderSnapshot } from './state-machine.ts'

export type OrderRow = typeof orders.$inferSelect
export type OrderEventRow = typeof orderEvents.$inferSelect

/** Drizzle's transaction handle has the query-builder surface of `Db`, which is all we use. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

export async function findOrderByCode(db: Db | Tx, code: string): Promise<OrderRow | undefined> {
  const [row] = await db.select().from(orders).where(eq(orders.code, code)).limit(1)
  return row
}

/** The order row locked until the transaction ends: two 接单 at once are served one by one. */
export async function lockOrderByCode(tx: Tx, code: string): Promise<OrderRow | undefined> {
  const [row] = await tx.select().from(orders).where(eq(orders.code, code)).for('update').limit(1)
  return row
}

/** The columns a move may change. */
export type OrderChanges = Partial<
  Pick<
    OrderRow,
    | 'status'
    | 'assigneeMemberId'
    | 'handlingUnitId'
    | 'rating'
    | 'escalations'
    | 'dueAt'
    | 'updatedAt'
  >
>

/** Writes a move's changes to the order row; returns the row as it now is. */
export async function updateOrder(
  tx: Tx,
  orderId: number,
  changes: OrderChanges,
): Promise<OrderRow> {
  const [row] = await tx.update(orders).set(changes).where(eq(orders.id, orderId)).returning()
  return row!
}

/** A unit's row read afresh (a label or a path for one order; inside a move's transaction). */

async function reopenCount(db: Db | Tx, orderId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(orderEvents)
    .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.type, 'reopened')))
  return row?.n ?? 0
}

/** What the state machine needs of a row. */
export async function snapshotOf(db: Db | Tx, order: OrderRow): Promise<OrderSnapshot> {
  const unit = await unitById(db, order.handlingUnitId)
  if (!unit) throw new Error(`order ${order.code}: handling unit ${order.handlingUnitId} is gone`)
  return {
    code: order.code,
    status: order.status,
    residentRef: order.residentRef,
    handlingUnit: { id: unit.id, path: unit.path, tier: unit.tier },
    assigneeMemberId: order.assigneeMemberId,
    reopens: await reopenCount(db, order.id),
  }
}

export interface NewEvent {
  orderId: number
  at: Date
  type: EventType
  fromStatus: OrderRow['status'] | null
  toStatus: OrderRow['status']
  actorRef: string
  actorMemberId?: number | null
  unitId?: number | null
  note?: string | null
  data?: Record<string, unknown> | null
}

export async function appendEvent(tx: Db | Tx, event: NewEvent): Promise<OrderEventRow> {
  const [row] = await tx
    .insert(orderEvents)
    .values({
      ...event,
      actorMemberId: event.actorMemberId ?? null,
      unitId: event.unitId ?? null,
      note: event.note ?? null,
      data: event.data ?? null,
    })
    .returning()
  return row!
}

/** The note and data of the order's last 完成 (what the volunteer reported), if any. */
export async function lastDoneReport(
  db: Db | Tx,
  orderId: number,
): Promise<Pick<OrderEventRow, 'data' | 'note'> | undefined> {
  const [done] = await db
    .select({ data: orderEvents.data, note: orderEvents.note })
    .from(orderEvents)
    .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.type, 'done')))
    .orderBy(desc(orderEvents.id))
    .limit(1)
  return done
}

/** The category's row read afresh (inside a move's transaction; the cached one is catalogue.ts). */
export async function categoryOf(db: Db | Tx, id: number | null) {
  if (id === null) return undefined
  const [row] = await db.select().from(serviceCatalog).where(eq(serviceCatalog.id, id))
  return row
}

/** Open orders assigned to each member, for least-loaded dispatch. */
export async function openLoads(
  db: Db | Tx,
  memberIds: readonly number[],
): Promise<Map<number, number>> {
  const loads = new Map<number, number>(memberIds.map((id) => [id, 0]))
  if (memberIds.length === 0) return loads
  const rows = await db
    .select({ id: orders.assigneeMemberId, n: count() })
    .from(orders)
    .where(
      and(
        isNotNull(orders.assigneeMemberId),
        inArray(orders.assigneeMemberId, [...memberIds]),
        inArray(orders.status, ['dispatched', 'accepted']),
      ),
    )
    .groupBy(orders.assigneeMemberId)
  for (const r of rows) if (r.id !== null) loads.set(r.id, r.n)
  return loads
}
