import { asc, eq } from 'drizzle-orm'
import type { MockNetwork, Said } from '../../bot/mock-network.ts'
import type { Db } from '../../db/client.ts'
import { orderEvents, orders } from '../../db/schema/orders.ts'
import type { OrderOptions } from '../../orders/options.ts'
import type { Services } from '../../runtime/services.ts'
import type { SampleDistrict } from './sample-district.ts'

/** The bot's next line in `topic` containing `includes` (start waiting before the action). */
export function botSays(
  network: MockNetwork,
  topic: string,
  includes: string,
  timeoutMs = 10_000,
): Promise<Said> {
  return network.waitFor(
    (s) => s.fromBot && s.topic === topic && s.text.includes(includes),
    timeoutMs,
  )
}

export async function orderByCode(db: Db, code: string) {
  const [row] = await db.select().from(orders).where(eq(orders.code, code))
  return row
}

export async function eventsOf(db: Db, code: string) {
  const order = await orderByCode(db, code)
  if (!order) return []
  return db
    .select()
    .from(orderEvents)
    .where(eq(orderEvents.orderId, order.id))
    .orderBy(asc(orderEvents.id))
}

/** The order code named in a bot line ("已收到您的点单 A0001（…"). */
export function codeIn(text: string): string {
  const m = /[A-MO-Z]\d{4,6}/.exec(text)
  if (!m) throw new Error(`no order code in: ${text}`)
  return m[0]
}

/**
 * Sets the order settings a running sample district reads, in its workers (which hold
 * `d.services`) and in its bot accounts (which each hold a copy of the services made at start).
 * Stopgap: once `startSampleDistrict` takes an `orders` object, every copy shares it and mutating
 * that one object is enough.
 */
export function setOrderOptions(d: SampleDistrict, orders: Partial<OrderOptions>): void {
  d.services.orders = orders
  for (const account of d.bots.accounts) {
    const held = (account as unknown as { services?: Services }).services
    if (held) held.orders = orders
  }
}
