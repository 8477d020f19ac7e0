/**
 * A resident's personal data in closed orders, kept only as long as configured (PIPL): past the
 * retention, an order keeps its category, units, times and outcome for the statistics, while its
 * resident id and name are replaced and its text and notes lose phone, ID and door numbers, and
 * its pictures are deleted (purgeOrderAttachments).
 */
import { and, eq, inArray, like, lt, notLike, sql } from 'drizzle-orm'
import { maskPersonalData } from '../core/personal-data.ts'
import type { Db } from '../db/client.ts'
import { orderAttachments } from '../db/schema/attachments.ts'
import { orderEvents, orderQuestions, orders } from '../db/schema/orders.ts'
import { purgeAttachments } from './attachment-store.ts'

/** A closed order is one nobody acts on any more. */
const CLOSED = ['rated', 'cancelled'] as const
/** Rows anonymised per statement: a daily purge of a district stays a few short statements. */
const PAGE = 500
/** Marks an anonymised order's resident; its id keeps the order's own rows apart. */
const PURGED = 'purged:'

/** Anonymises closed orders last changed before `before`; returns how many. Idempotent. */
export async function anonymizeClosedOrders(db: Db, before: Date): Promise<number> {
  let total = 0
  for (;;) {
    const page = await db
      .select({ id: orders.id, residentRef: orders.residentRef, text: orders.text })
      .from(orders)
      .where(
        and(
          inArray(orders.status, [...CLOSED]),
          lt(orders.updatedAt, before),
          notLike(orders.residentRef, `${PURGED}%`),
        ),
      )
      .limit(PAGE)
    if (page.length === 0) return total
    await db.transaction(async (tx) => {
      for (const o of page) {
        const anon = `${PURGED}${o.id}`
        await tx
          .update(orders)
          .set({ residentRef: anon, residentName: '居民', text: maskPersonalData(o.text) })
          .where(eq(orders.id, o.id))
        await tx
          .update(orderEvents)
          .set({ actorRef: anon })
          .where(and(eq(orderEvents.orderId, o.id), eq(orderEvents.actorRef, o.residentRef)))
        await tx
          .update(orderAttachments)
          .set({ senderRef: anon })
          .where(eq(orderAttachments.orderId, o.id))
        await tx
          .update(orderQuestions)
          .set({ residentRef: anon })
          .where(eq(orderQuestions.orderId, o.id))
      }
      const events = await tx
        .select({ id: orderEvents.id, note: orderEvents.note })
        .from(orderEvents)
        .where(
          and(
            inArray(
              orderEvents.orderId,
              page.map((o) => o.id),
            ),
            sql`${orderEvents.note} is not null`,
          ),
        )
      for (const e of events) {
        const masked = maskPersonalData(e.note!)
        if (masked !== e.note) {
          await tx.update(orderEvents).set({ note: masked }).where(eq(orderEvents.id, e.id))
        }
      }
    })
    total += page.length
  }
}

/** What the orders hold about one resident, for `quanqun privacy export`. */
export async function residentOrders(db: Db, wechatId: string) {
  const placed = await db
    .select({
      id: orders.id,
      code: orders.code,
      text: orders.text,
      status: orders.status,
      createdAt: orders.createdAt,
      updatedAt: orders.updatedAt,
    })
    .from(orders)
    .where(eq(orders.residentRef, wechatId))
    .orderBy(orders.id)
  const events =
    placed.length === 0
      ? []
      : await db
          .select({
            orderId: orderEvents.orderId,
            type: orderEvents.type,
            at: orderEvents.at,
            note: orderEvents.note,
          })
          .from(orderEvents)
          .where(
            inArray(
              orderEvents.orderId,
              placed.map((o) => o.id),
            ),
          )
          .orderBy(orderEvents.id)
  const files =
    placed.length === 0
      ? []
      : await db
          .select({
            orderId: orderAttachments.orderId,
            name: orderAttachments.name,
            bytes: orderAttachments.bytes,
            sha256: orderAttachments.sha256,
            at: orderAttachments.createdAt,
          })
          .from(orderAttachments)
          .where(
            inArray(
              orderAttachments.orderId,
              placed.map((o) => o.id),
            ),
          )
          .orderBy(orderAttachments.id)
  return placed.map(({ id, ...order }) => ({
    ...order,
    timeline: events.filter((e) => e.orderId === id).map(({ orderId: _, ...e }) => e),
    attachments: files.filter((f) => f.orderId === id).map(({ orderId: _, ...f }) => f),
  }))
}

/** Deletes the pictures and files of anonymised orders; returns how many files were removed. */
export function purgeOrderAttachments(db: Db, dataDir: string): Promise<number> {
  return purgeAttachments(db, dataDir, like(orders.residentRef, `${PURGED}%`))
}
