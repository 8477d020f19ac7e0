/**
 * Orders for the back office (`quanqun orders list`): open orders by default, optionally only
 * overdue ones or those handled in one unit's subtree, oldest first.
 */
import { and, asc, eq, inArray, like, lte, or, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { members, units } from '../db/schema/network.ts'
import { type OrderStatus, orders, serviceCatalog } from '../db/schema/orders.ts'
import { isOverdue } from './sla-time.ts'
import { OPEN_STATUSES } from './state-machine.ts'

export interface ListFilter {
  /** Only orders whose running step is past its due time. */
  overdue?: boolean
  /** Only orders handled at this unit path or below it. */
  unitPath?: string
  /** Closed orders too (done, rated, cancelled). */
  all?: boolean
  now: Date
  limit?: number
}

export interface ListedOrder {
  code: string
  status: OrderStatus
  category: string
  handlingPath: string
  assignee: string | null
  resident: string
  createdAt: Date
  dueAt: Date | null
  overdue: boolean
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, '\\$&')
}

export async function listOrders(db: Db, filter: ListFilter): Promise<ListedOrder[]> {
  const where: (SQL | undefined)[] = [
    filter.all ? undefined : inArray(orders.status, [...OPEN_STATUSES]),
    filter.overdue
      ? and(inArray(orders.status, [...OPEN_STATUSES]), lte(orders.dueAt, filter.now))
      : undefined,
    filter.unitPath
      ? or(eq(units.path, filter.unitPath), like(units.path, `${escapeLike(filter.unitPath)}/%`))
      : undefined,
  ]
  const rows = await db
    .select({
      code: orders.code,
      status: orders.status,
      category: serviceCatalog.name,
      handlingPath: units.path,
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
