import { sql } from 'drizzle-orm'
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgSequence,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { groups, members, units } from './network.ts'

/**
 * What residents can order: data loaded from fixtures/service-catalog.json, not code. `tier` is
 * where the matter is handled (自己能办自己办: 4 grid, 3 station, 2 institute, 1 centre).
 */
export const serviceCatalog = pgTable(
  'service_catalog',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    platform: text('platform').notNull(),
    keywords: text('keywords').array().notNull(),
    /** Sentences as residents write them: the classifier compares a message's n-grams with these. */
    examples: text('examples').array().notNull().default(sql`'{}'::text[]`),
    /** Words of danger: a message holding one lands here whatever else it says, and is urgent. */
    urgent: text('urgent').array().notNull().default(sql`'{}'::text[]`),
    /** Phrases of the help asked for (劝一哈, 谈不拢): they outweigh what a message merely names. */
    asks: text('asks').array().notNull().default(sql`'{}'::text[]`),
    tier: smallint('tier').notNull(),
    acceptSlaMinutes: integer('accept_sla_minutes').notNull(),
    completeSlaMinutes: integer('complete_sla_minutes').notNull(),
    /** Volunteer hours credited for a completed order of this kind (love-bank points). */
    hours: numeric('hours', { precision: 6, scale: 2 }).notNull().default('1'),
    /**
     * The most hours one order of this kind may credit, whatever the 完成 note claims: a
     * volunteer's own report ("用时24小时") is bounded by the catalogue.
     */
    maxHours: numeric('max_hours', { precision: 6, scale: 2 }).notNull().default('24'),
  },
  (t) => [
    uniqueIndex('service_catalog_code_key').on(t.code),
    check('service_catalog_tier_range', sql`${t.tier} between 1 and 5`),
  ],
)

export const ORDER_STATUSES = [
  'placed',
  'dispatched',
  'accepted',
  'done',
  'rated',
  'returned',
  'escalated',
  'cancelled',
] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/**
 * Order codes come from this sequence (orders/code.ts turns 1 into A0001), so two residents
 * ordering at the same instant get distinct codes without retrying on a unique violation.
 */
export const orderCodeSeq = pgSequence('order_code_seq', { startWith: 1, minValue: 1 })

/** A resident's service order; residents refer to it by `code` (e.g. A0042). */
export const orders = pgTable(
  'orders',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    code: text('code').notNull(),
    residentRef: text('resident_ref').notNull(),
    residentName: text('resident_name').notNull(),
    groupId: integer('group_id').references(() => groups.id),
    /** The resident's unit (the group's). */
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    categoryId: integer('category_id').references(() => serviceCatalog.id),
    text: text('text').notNull(),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('placed'),
    /** The unit answering for the order now; climbs the tree on escalation. */
    handlingUnitId: integer('handling_unit_id')
      .notNull()
      .references(() => units.id),
    assigneeMemberId: integer('assignee_member_id').references(() => members.id),
    rating: smallint('rating'),
    /** 0 normal, 1 urgent (the text named a danger: 燃气, 消防通道 …); the dispatch says so. */
    priority: smallint('priority').notNull().default(0),
    /**
     * When the running SLA step (accept or complete) runs out; null when no step runs (done,
     * rated, cancelled). The SLA job compares its own due time with this one, so a stale timer
     * never escalates, and overdue lists are one indexed range.
     */
    dueAt: timestamp('due_at', { withTimezone: true }),
    /** How many tiers the order has climbed above the unit it was routed to (四个必接). */
    escalations: smallint('escalations').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_code_key').on(t.code),
    // The pace and the near-duplicate checks of every intake: a resident's own recent orders.
    index('orders_resident_idx').on(t.residentRef, t.createdAt),
    index('orders_handling_status_idx').on(t.handlingUnitId, t.status),
    index('orders_assignee_status_idx').on(t.assigneeMemberId, t.status),
    index('orders_due_idx').on(t.dueAt),
    // Orders by when they were placed: 三率 over a period, Open311's newest requests first.
    index('orders_created_idx').on(t.createdAt),
    // Open orders (orders/state-machine.ts OPEN_ORDER_STATUSES) are a sliver of a year's table:
    // the digest's every open order, the back office's default list and 我的任务's waiting list
    // read them here instead of scanning the table (the digest at 1,000,000 orders: 466 → 49 ms,
    // bench/README.md "city").
    index('orders_open_idx')
      .on(t.createdAt)
      .where(sql`${t.status} in ('placed', 'dispatched', 'accepted', 'returned', 'escalated')`),
  ],
)

/** The order's append-only timeline: every state change with its actor and note. */
export const orderEvents = pgTable(
  'order_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    type: text('type').notNull(),
    fromStatus: text('from_status', { enum: ORDER_STATUSES }),
    toStatus: text('to_status', { enum: ORDER_STATUSES }).notNull(),
    actorRef: text('actor_ref').notNull(),
    actorMemberId: integer('actor_member_id').references(() => members.id),
    unitId: integer('unit_id').references(() => units.id),
    note: text('note'),
    data: jsonb('data').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('order_events_order_idx').on(t.orderId, t.at),
    // 响应率 reads the 接单 events of a period (orders/service-rates.ts); only those are indexed,
    // so placing an order (two events) pays nothing for it.
    index('order_events_accepted_idx').on(t.at).where(sql`${t.type} = 'accepted'`),
  ],
)

/** Love-bank accounts: one per volunteer, plus system accounts points flow from and to. */
export const pointsAccounts = pgTable(
  'points_accounts',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    kind: text('kind', { enum: ['member', 'system'] }).notNull(),
    memberId: integer('member_id').references(() => members.id),
    /** For system accounts: 'issuance' (points are minted from here), 'redemption', … */
    name: text('name').notNull(),
  },
  (t) => [
    uniqueIndex('points_accounts_member_key').on(t.memberId),
    uniqueIndex('points_accounts_name_key').on(t.kind, t.name),
  ],
)

/**
 * Double-entry ledger: the entries of one `txId` sum to zero; entries are never updated or
 * deleted (a correction is a reversing transaction); a balance is the sum of an account's entries.
 */
export const pointsEntries = pgTable(
  'points_entries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    txId: text('tx_id').notNull(),
    accountId: integer('account_id')
      .notNull()
      .references(() => pointsAccounts.id),
    amount: integer('amount').notNull(),
    orderId: integer('order_id').references(() => orders.id),
    reason: text('reason').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('points_entries_account_idx').on(t.accountId),
    // A deterministic txId (e.g. `order-42-rated`) posts once, however often a job retries.
    uniqueIndex('points_entries_tx_account_key').on(t.txId, t.accountId),
  ],
)

export const PENDING_STATUSES = ['pending', 'approved', 'rejected'] as const
export type PendingStatus = (typeof PENDING_STATUSES)[number]

/**
 * Earnings held back for a station's approval: an order's points that would take a volunteer
 * over the daily cap (`pointsPerDay`). Not in any balance until approved; approval posts them
 * under the same txId the earning would have had (`order-<id>-rated`), so an order is paid once.
 */
export const pointsPending = pgTable(
  'points_pending',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    txId: text('tx_id').notNull(),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    orderId: integer('order_id').references(() => orders.id),
    amount: integer('amount').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: PENDING_STATUSES }).notNull().default('pending'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decidedBy: text('decided_by'),
    decisionNote: text('decision_note'),
  },
  (t) => [
    uniqueIndex('points_pending_tx_key').on(t.txId),
    index('points_pending_status_idx').on(t.status, t.id),
    check('points_pending_amount_positive', sql`${t.amount} > 0`),
  ],
)

/**
 * Order texts staff moved to another category with 改类: examples the classifier weighs for the
 * orders of that district, so the same phrasing lands right next time. Never deleted: `quanqun
 * classify --forget <id>` stamps `forgottenAt`, and a forgotten row is no longer read.
 */
export const learnedExamples = pgTable(
  'learned_examples',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    /** The district (tier-1 unit) whose orders learn from it. */
    districtId: integer('district_id')
      .notNull()
      .references(() => units.id),
    categoryId: integer('category_id')
      .notNull()
      .references(() => serviceCatalog.id),
    text: text('text').notNull(),
    orderId: integer('order_id').references(() => orders.id),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    forgottenAt: timestamp('forgotten_at', { withTimezone: true }),
    forgottenBy: text('forgotten_by'),
  },
  (t) => [index('learned_examples_district_idx').on(t.districtId, t.id)],
)

/**
 * A resident asked which category they meant (the classifier was unsure): the order is already
 * placed, as 其他求助 at the community station and not yet announced, while the question is open.
 * Their digit or a new description settles it (`settledAt`, `outcome`); no answer in time and it
 * goes to the station's staff as it is.
 */
export const orderQuestions = pgTable(
  'order_questions',
  {
    orderId: integer('order_id')
      .primaryKey()
      .references(() => orders.id),
    residentRef: text('resident_ref').notNull(),
    groupId: integer('group_id')
      .notNull()
      .references(() => groups.id),
    /** The categories offered, in menu order (1, 2, 3). */
    choices: integer('choices').array().notNull(),
    askedAt: timestamp('asked_at', { withTimezone: true }).notNull().defaultNow(),
    settledAt: timestamp('settled_at', { withTimezone: true }),
    outcome: text('outcome', { enum: ['chosen', 'described', 'expired', 'closed'] }),
  },
  (t) => [index('order_questions_open_idx').on(t.residentRef, t.groupId, t.settledAt)],
)
