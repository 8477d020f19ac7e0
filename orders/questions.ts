/**
 * The statements of ask-back (ask-back.ts): a resident's open question, asked, settled. At most
 * one open question per order; a resident's newest open one in a group is the one a digit answers.
 */
import { and, desc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { orderQuestions, orders } from '../db/schema/orders.ts'
import type { Tx } from './order-store.ts'

type Outcome = NonNullable<(typeof orderQuestions.$inferSelect)['outcome']>

export interface OpenQuestion {
  orderId: number
  code: string
  choices: number[]
}

export async function openQuestion(
  db: Db | Tx,
  residentRef: string,
  groupId: number,
): Promise<OpenQuestion | undefined> {
  const [row] = await db
    .select({ orderId: orderQuestions.orderId, code: orders.code, choices: orderQuestions.choices })
    .from(orderQuestions)
    .innerJoin(orders, eq(orders.id, orderQuestions.orderId))
    .where(
      and(
        eq(orderQuestions.residentRef, residentRef),
        eq(orderQuestions.groupId, groupId),
        isNull(orderQuestions.settledAt),
      ),
    )
    .orderBy(desc(orderQuestions.askedAt))
    .limit(1)
  return row
}

/** Asks (or asks again, with a new menu). */
export async function putQuestion(
  db: Db | Tx,
  q: { orderId: number; residentRef: string; groupId: number; choices: number[] },
): Promise<void> {
  await db
    .insert(orderQuestions)
    .values(q)
    .onConflictDoUpdate({ target: orderQuestions.orderId, set: { choices: q.choices } })
}

/** Settles the order's open question, if any; true when this call settled it. */
export async function closeQuestion(db: Db | Tx, orderId: number, outcome: Outcome) {
  const rows = await db
    .update(orderQuestions)
    .set({ settledAt: new Date(), outcome })
    .where(and(eq(orderQuestions.orderId, orderId), isNull(orderQuestions.settledAt)))
    .returning({ orderId: orderQuestions.orderId })
  return rows.length > 0
}
