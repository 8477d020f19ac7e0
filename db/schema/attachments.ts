import { integer, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core'
import { orders } from './orders.ts'

/**
 * Pictures and files a resident sent right after placing an order (within two minutes, in the
 * same group), linked to it. The bytes live under DATA_DIR/attachments, named by their SHA-256
 * (content-addressed: the same photo sent twice is stored once); this row is the link.
 */
export const orderAttachments = pgTable(
  'order_attachments',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    /** Hex SHA-256 of the content: the file's name under DATA_DIR/attachments. */
    sha256: text('sha256').notNull(),
    /** The name the sender's phone gave it, shown to the worker. */
    name: text('name').notNull(),
    bytes: integer('bytes').notNull(),
    /** Who sent it (the resident's WeChat id). */
    senderRef: text('sender_ref').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Also the index an order's attachments are read by (order_id leads).
  (t) => [unique('order_attachments_order_sha_key').on(t.orderId, t.sha256)],
)
