import { asc, eq } from 'drizzle-orm'
import type { MockNetwork, Said } from '../../bot/mock-network.ts'
import type { OrderOptions } from '../../core/order-options.ts'
import type { Db } from '../../db/client.ts'
import { orderEvents, orders } from '../../db/schema/orders.ts'
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
 * Replaces the order settings a running sample district reads. Its workers and every bot account
 * share the one `services.orders` object, so changing it in place reaches them all.
 */
export function setOrderOptions(d: SampleDistrict, orders: Partial<OrderOptions>): void {
  const shared = d.services.orders!
  for (const key of Object.keys(shared)) delete shared[key as keyof OrderOptions]
  Object.assign(shared, orders)
}
