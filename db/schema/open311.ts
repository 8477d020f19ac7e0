import {
  doublePrecision,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { units } from './network.ts'
import { orders } from './orders.ts'

/**
 * One key per integration of the Open311 API (a 12345 hotline, a city platform), created and
 * revoked by the CLI. Only the key's SHA-256 is kept: the key itself is printed once. A key with a
 * `unitId` sees and creates requests in that unit's subtree only.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    unitId: integer('unit_id').references(() => units.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set by `api-key revoke`: the key stops working at once; the row stays for the audit. */
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_keys_name_key').on(t.name),
    uniqueIndex('api_keys_hash_key').on(t.keyHash),
  ],
)

/**
 * What an order placed through Open311 carries besides the order itself: the integration that
 * sent it and where the matter is. The address is stored masked (door numbers hidden) and the
 * coordinates rounded to about 100 m: the full address and the contact are in the order's text,
 * seen like a chat order's by its assignee and station only, and anonymised with it.
 */
export const open311Requests = pgTable('open311_requests', {
  orderId: integer('order_id')
    .primaryKey()
    .references(() => orders.id),
  apiKeyId: integer('api_key_id')
    .notNull()
    .references(() => apiKeys.id),
  address: text('address'),
  lat: doublePrecision('lat'),
  long: doublePrecision('long'),
})
