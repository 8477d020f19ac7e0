import {
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { botAccounts, type GroupKind, groups, members, units } from './network.ts'

/** 'paused': confirmed, its sends held where they stand until it is resumed (暂停 / 继续). */
export const NOTICE_STATUSES = ['draft', 'confirmed', 'paused', 'cancelled', 'done'] as const
export type NoticeStatus = (typeof NOTICE_STATUSES)[number]

/**
 * An authoritative notice pushed down a subtree. Residents and staff refer to it as `N<id>`.
 * `dedupeKey` makes a scheduled tick idempotent: two schedulers firing the same tick insert once.
 */
export const notices = pgTable(
  'notices',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    authorMemberId: integer('author_member_id').references(() => members.id),
    /** Chat contact id, or `cli:<user>` / `schedule:<name>` for notices not typed in a chat. */
    authorRef: text('author_ref').notNull(),
    scopeUnitId: integer('scope_unit_id')
      .notNull()
      .references(() => units.id),
    /** Only these tiers of the subtree; null means all. */
    tiers: smallint('tiers').array(),
    kinds: text('kinds').array().$type<GroupKind[]>(),
    text: text('text').notNull(),
    status: text('status', { enum: NOTICE_STATUSES }).notNull().default('draft'),
    /** Where progress and the final report go back to (the author's room or chat). */
    replyAccount: text('reply_account'),
    replyRoomId: text('reply_room_id'),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }),
    /** When the event it announces starts: reminders go out before it (broadcasts/reminders.ts). */
    eventAt: timestamp('event_at', { withTimezone: true }),
    dedupeKey: text('dedupe_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /**
     * When the final summary was queued for the author (or found to have nowhere to go). Null on a
     * done notice means it is still owed: the reconciler queues it under the same job id.
     */
    summarizedAt: timestamp('summarized_at', { withTimezone: true }),
    /**
     * 双人审核: a notice to a tier that needs a second person's approval (NOTICE_APPROVAL_TIERS)
     * is confirmed by its author first (`approval_requested_at`), then sent only when another
     * member who may author for its scope confirms it too (`approved_by_member_id`).
     */
    approvalRequestedAt: timestamp('approval_requested_at', { withTimezone: true }),
    approvedByMemberId: integer('approved_by_member_id').references(() => members.id),
    /**
     * When the notice paused itself because too many sends failed (NOTICE_AUTO_PAUSE_FAILURES).
     * Once set it does not pause itself again: whoever resumed it has seen the failures.
     */
    autoPausedAt: timestamp('auto_paused_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('notices_dedupe_key').on(t.dedupeKey),
    index('notices_status_idx').on(t.status),
  ],
)

/**
 * 撤回 of one message or one group's messages: asked (pending), taken back, past the platform's
 * window (too-late), or refused / no message id to take back (failed).
 */
export const RECALL_STATES = ['pending', 'recalled', 'too-late', 'failed'] as const
export type RecallState = (typeof RECALL_STATES)[number]

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed', 'skipped'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/**
 * The outbox: one row per (notice, group); PostgreSQL alone is enough to finish a notice.
 *
 * A row is written twice per send (claimed, then sent), so no index holds what those writes change
 * (status, attempts, times): the updates stay HOT, with no index entry to add, on pages kept half
 * empty for the new versions (fillfactor 50, set in migration 0005: drizzle has no table storage
 * parameters).
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    noticeId: integer('notice_id')
      .notNull()
      .references(() => notices.id),
    groupId: integer('group_id')
      .notNull()
      .references(() => groups.id),
    tier: smallint('tier').notNull(),
    botAccountId: integer('bot_account_id').references(() => botAccounts.id),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** Why it was not said: a reason category (failed) or a skip reason, never an error's text. */
    lastError: text('last_error'),
    /**
     * A say of it was started and its outcome never recorded as sent (set by the send gate with
     * the claim, in the same statement): the puppet may have delivered it.
     */
    outcomeUnknown: boolean('outcome_unknown').notNull().default(false),
    /** Sends of it made after one whose outcome was unknown: copies that may be repeats (可能重复). */
    uncertain: integer('uncertain').notNull().default(0),
    /** Times an operator re-queued it after it failed (at most one). */
    resends: smallint('resends').notNull().default(0),
    /**
     * Messages the group gets: the text, then each of the notice's attachments. One row per
     * (notice, group) all the same, not one per message: the send gate, the cancel, the
     * reconciler and 回执 keep their one row per group, and `parts_said` is all a retry needs to
     * resume at the first message the group has not had (the row is `sent` once it reaches
     * `parts`).
     */
    parts: smallint('parts').notNull().default(1),
    /** How many of the group's messages were said, in order. */
    partsSaid: smallint('parts_said').notNull().default(0),
    /** 撤回: how taking the notice back ended for this group (RECALL_STATES), once it has. */
    recall: text('recall', { enum: RECALL_STATES }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('deliveries_notice_group_key').on(t.noticeId, t.groupId),
    // A notice's rows of one tier in id order: the fan-out's pages and the progress checks.
    index('deliveries_notice_tier_idx').on(t.noticeId, t.tier, t.id),
  ],
)

/**
 * The platform's id of each message said for a delivery (part 0 the text, then the attachments),
 * when the puppet returned one: what 撤回 takes back, within the platform's window from `said_at`.
 */
export const deliveryMessages = pgTable(
  'delivery_messages',
  {
    deliveryId: integer('delivery_id')
      .notNull()
      .references(() => deliveries.id),
    part: smallint('part').notNull(),
    messageId: text('message_id').notNull(),
    saidAt: timestamp('said_at', { withTimezone: true }).notNull().defaultNow(),
    recall: text('recall', { enum: RECALL_STATES }),
    recalledAt: timestamp('recalled_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.part] })],
)
