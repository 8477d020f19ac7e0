/**
 * Orders read in lists: a timeline, a worker's tasks, the back office's list, the digest's open
 * orders, the sweep's overdue steps. Reads only; single orders are read and written in
 * order-store.ts.
 */
import {
  and,
  asc,
  desc,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  like,
  lte,
  or,
  type SQL,
} from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { anyText } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { members, units } from '../db/schema/network.ts'
import { type OrderStatus, orderEvents, orders, serviceCatalog } from '../db/schema/orders.ts'
import type { OrderRow } from './order-store.ts'
import { isOverdue } from './sla-time.ts'
import { OPEN_ORDER_STATUSES } from './state-machine.ts'

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, '\\$&')
}

/** Units at `path` or below it, by their path. */
function inSubtree(path: string): SQL | undefined {
  return or(eq(units.path, path), like(units.path, `${escapeLike(path)}/%`))
}

export interface TimelineEntry {
  at: Date
  type: string
  toStatus: OrderRow['status']
  actorRef: string
  actorName: string | null
  note: string | null
  data: Record<string, unknown> | null
}

/** The order's events oldest first, with the member's name for staff actors. */
export async function timelineOf(db: Db, orderId: number): Promise<TimelineEntry[]> {
  return db
    .select({
      at: orderEvents.at,
      type: orderEvents.type,
      toStatus: orderEvents.toStatus,
      actorRef: orderEvents.actorRef,
      actorName: members.name,
      note: orderEvents.note,
      data: orderEvents.data,
    })
    .from(orderEvents)
    .leftJoin(members, eq(members.id, orderEvents.actorMemberId))
    .where(eq(orderEvents.orderId, orderId))
    .orderBy(asc(orderEvents.at), asc(orderEvents.id))
}

/** Orders assigned to the member and not yet done, oldest first. */
export async function assignedOpenOrders(
  db: Db,
  memberId: number,
  limit: number,
): Promise<OrderRow[]> {
  return db
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.assigneeMemberId, memberId),
        inArray(orders.status, ['dispatched', 'accepted']),
      ),
    )
    .orderBy(asc(orders.createdAt))
    .limit(limit)
}

/** Open orders nobody is assigned, handled at or below one of `unitPaths`, oldest first. */
export async function unassignedOpenOrders(
  db: Db,
  unitPaths: readonly string[],
  limit: number,
): Promise<OrderRow[]> {
  return ordersOfUnits(
    db,
    and(
      isNull(orders.assigneeMemberId),
      inArray(orders.status, [...OPEN_ORDER_STATUSES]),
      or(
        ...unitPaths.flatMap((path) => [
          eq(units.path, path),
          like(units.path, `${escapeLike(path)}/%`),
        ]),
      ),
    ),
    asc(orders.createdAt),
    limit,
  )
}

export interface ListFilter {
  /** Only orders whose running step is past its due time. */
  overdue?: boolean
  /** Only orders handled at this unit path or below it. */
  unitPath?: string
  /** Closed orders too (done, rated, cancelled). */
  all?: boolean
  /** Only orders in this status (the console's board). */
  status?: OrderStatus
  /** Only orders of this catalogue category, by its code. */
  category?: string
  now: Date
  limit?: number
}

export interface ListedOrder {
  code: string
  status: OrderStatus
  category: string
  handlingPath: string
  /** The handling unit: whom the console offers to dispatch it to (workers on it or above). */
  handlingUnitId: number
  assignee: string | null
  resident: string
  createdAt: Date
  dueAt: Date | null
  overdue: boolean
}

/**
 * Orders for the back office (`quanqun orders list`): open orders by default, optionally only
 * overdue ones or those handled in one unit's subtree, oldest first.
 */
export async function listOrders(db: Db, filter: ListFilter): Promise<ListedOrder[]> {
  // The open-status filter once: stated twice, the planner multiplies its selectivity by itself
  // and plans for one row (bench/README.md, the city's plans).
  const where: (SQL | undefined)[] = [
    filter.all && !filter.overdue ? undefined : inArray(orders.status, [...OPEN_ORDER_STATUSES]),
    filter.overdue ? lte(orders.dueAt, filter.now) : undefined,
    filter.unitPath ? inSubtree(filter.unitPath) : undefined,
    filter.status ? eq(orders.status, filter.status) : undefined,
    filter.category ? eq(serviceCatalog.code, filter.category) : undefined,
  ]
  const rows = await db
    .select({
      code: orders.code,
      status: orders.status,
      category: serviceCatalog.name,
      handlingPath: units.path,
      handlingUnitId: orders.handlingUnitId,
      assignee: members.name,
      resident: orders.residentName,
      createdAt: orders.createdAt,
      dueAt: orders.dueAt,
    })
    .from(orders)
    .innerJoin(units, eq(units.id, orders.handlingUnitId))
    .leftJoin(serviceCatalog, eq(serviceCatalog.id, orders.categoryId))
    .leftJoin(members, eq(members.id, orders.assigneeMemberId))
    .where(and(...where))
    .orderBy(asc(orders.createdAt), asc(orders.id))
    .limit(filter.limit ?? 500)
  return rows.map((r) => ({
    ...r,
    category: r.category ?? '',
    overdue: isOverdue(r.dueAt, filter.now),
  }))
}

export interface FindFilter {
  /** Only orders placed at this unit path or below it (where the resident is, not who handles it). */
  placedUnder?: string
  codes?: readonly string[]
  categoryCodes?: readonly string[]
  statuses?: readonly OrderStatus[]
  /** Placed between from and to, both included. */
  from?: Date
  to?: Date
  limit: number
}

/** The unit an order was placed at, beside the unit handling it. */
const placedAt = alias(units, 'placed_at')

/**
 * Orders matching every filter given, newest first, with what an outside system reads of them
 * (the Open311 API): the category, the handling unit, the times. The text is as stored; the
 * caller masks it for its reader.
 */
export async function findOrders(db: Db, filter: FindFilter) {
  return db
    .select({
      id: orders.id,
      code: orders.code,
      status: orders.status,
      text: orders.text,
      categoryCode: serviceCatalog.code,
      categoryName: serviceCatalog.name,
      handling: { path: units.path, tier: units.tier, body: units.body },
      createdAt: orders.createdAt,
      updatedAt: orders.updatedAt,
      dueAt: orders.dueAt,
    })
    .from(orders)
    .innerJoin(placedAt, eq(placedAt.id, orders.unitId))
    .innerJoin(units, eq(units.id, orders.handlingUnitId))
    .leftJoin(serviceCatalog, eq(serviceCatalog.id, orders.categoryId))
    .where(
      and(
        filter.placedUnder
          ? or(
              eq(placedAt.path, filter.placedUnder),
              like(placedAt.path, `${escapeLike(filter.placedUnder)}/%`),
            )
          : undefined,
        // One parameter per list, whatever its length: one statement text, prepared once.
        filter.codes ? anyText(orders.code, filter.codes) : undefined,
        filter.categoryCodes ? anyText(serviceCatalog.code, filter.categoryCodes) : undefined,
        filter.statuses ? anyText(orders.status, filter.statuses) : undefined,
        filter.from ? gte(orders.createdAt, filter.from) : undefined,
        filter.to ? lte(orders.createdAt, filter.to) : undefined,
      ),
    )
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(filter.limit)
}

/** Every open order with its category's name and its handling unit's path (the digest). */
export async function openOrdersWithPaths(db: Db) {
  return db
    .select({
      code: orders.code,
      categoryName: serviceCatalog.name,
      status: orders.status,
      text: orders.text,
      dueAt: orders.dueAt,
      handlingPath: units.path,
    })
    .from(orders)
    .innerJoin(units, eq(units.id, orders.handlingUnitId))
    .leftJoin(serviceCatalog, eq(serviceCatalog.id, orders.categoryId))
    .where(inArray(orders.status, [...OPEN_ORDER_STATUSES]))
}

/**
 * Orders whose running step is past due and can still move: open ones below the district can
 * climb, done ones can close. Most overdue first.
 */
export async function overdueSteps(db: Db, now: Date, limit: number): Promise<OrderRow[]> {
  return ordersOfUnits(
    db,
    and(
      isNotNull(orders.dueAt),
      lte(orders.dueAt, now),
      or(
        and(inArray(orders.status, [...OPEN_ORDER_STATUSES]), gt(units.tier, 1)),
        eq(orders.status, 'done'),
      ),
    ),
    asc(orders.dueAt),
    limit,
  )
}

/** Orders matching `where`, which may test their handling unit, in `order`, at most `limit`. */
async function ordersOfUnits(
  db: Db,
  where: SQL | undefined,
  order: SQL,
  limit: number,
): Promise<OrderRow[]> {
  const rows = await db
    .select({ order: orders })
    .from(orders)
    .innerJoin(units, eq(units.id, orders.handlingUnitId))
    .where(where)
    .orderBy(order)
    .limit(limit)
  return rows.map((r) => r.order)
}
