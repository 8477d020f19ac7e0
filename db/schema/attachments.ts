import { integer, pgTable, smallint, text, timestamp, unique } from 'drizzle-orm/pg-core'
import { notices } from './broadcasts.ts'
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

export const NOTICE_ATTACHMENT_KINDS = ['image', 'file', 'link'] as const
export type NoticeAttachmentKind = (typeof NOTICE_ATTACHMENT_KINDS)[number]

/**
 * What a notice carries besides its text, said after it in each group in `position` order: a
 * picture or a file (bytes in the content store under `sha256`, as for orders) or a shared
 * article's card (`url`, its title in `name`).
 */
export const noticeAttachments = pgTable(
  'notice_attachments',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    noticeId: integer('notice_id')
      .notNull()
      .references(() => notices.id),
    /** 1, 2, …: the part of each group's sends it is (part 0 is the text). */
    position: smallint('position').notNull(),
    kind: text('kind', { enum: NOTICE_ATTACHMENT_KINDS }).notNull(),
    /** Hex SHA-256 of a picture's or file's bytes; null for a link. */
    sha256: text('sha256'),
    /** The file name shown, or the link card's title. */
    name: text('name').notNull(),
    bytes: integer('bytes'),
    url: text('url'),
    description: text('description'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('notice_attachments_notice_position_key').on(t.noticeId, t.position)],
)
