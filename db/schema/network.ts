import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  boolean,
  check,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'

/**
 * The five-tier tree. `path` is the unit's names joined by '/', from the district down
 * ("九龙坡区/石桥铺街道/科园社区/第1网格/1栋"); a subtree is every path starting with "<path>/".
 * Practice bodies (centre, institute, station, point) are units with a `body`, not a second tree.
 */
export const units = pgTable(
  'units',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    parentId: integer('parent_id').references((): AnyPgColumn => units.id),
    tier: smallint('tier').notNull(),
    name: text('name').notNull(),
    path: text('path').notNull(),
    body: text('body', { enum: ['centre', 'institute', 'station', 'point'] }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('units_path_key').on(t.path),
    // text_pattern_ops lets `path LIKE 'prefix/%'` use the index whatever the collation.
    index('units_path_prefix_idx').using('btree', sql`${t.path} text_pattern_ops`),
    index('units_parent_idx').on(t.parentId),
    check('units_tier_range', sql`${t.tier} between 1 and 5`),
  ],
)

export const botAccounts = pgTable(
  'bot_accounts',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    puppet: text('puppet'),
    state: text('state', { enum: ['offline', 'online', 'cooling', 'banned'] })
      .notNull()
      .default('offline'),
    coolingUntil: timestamp('cooling_until', { withTimezone: true }),
    /** Pacing overrides; null means the configured default. */
    perMinute: integer('per_minute'),
    minGapMs: integer('min_gap_ms'),
    roomGapMs: integer('room_gap_ms'),
    /** The WeChat contact id the account logged in as, once it has. */
    selfId: text('self_id'),
    /**
     * Why the puppet is not running, as a category (network, token, logged-out, banned, unknown;
     * bot/puppet-errors.ts), never the error's text; null once it runs.
     */
    lastError: text('last_error'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('bot_accounts_name_key').on(t.name)],
)

export const GROUP_KINDS = ['residents', 'workers', 'staff'] as const
export type GroupKind = (typeof GROUP_KINDS)[number]

/**
 * A chat room bound to a unit. Imported groups are known by topic before the bot has seen them;
 * `roomId` is filled in when the bot meets the room (by topic or by 绑定).
 */
export const groups = pgTable(
  'groups',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    topic: text('topic').notNull(),
    kind: text('kind', { enum: GROUP_KINDS }).notNull().default('residents'),
    botAccountId: integer('bot_account_id').references(() => botAccounts.id),
    roomId: text('room_id'),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('groups_topic_key').on(t.topic),
    uniqueIndex('groups_room_key').on(t.roomId),
    index('groups_unit_idx').on(t.unitId),
    index('groups_bot_idx').on(t.botAccountId),
  ],
)

/** A chat contact the system knows; `wechatId` is the puppet's contact id (微信号 / wxid). */
export const members = pgTable(
  'members',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    wechatId: text('wechat_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('members_wechat_key').on(t.wechatId)],
)

export const ROLES = ['admin', 'propagandist', 'station_staff', 'grid_worker', 'volunteer'] as const
export type Role = (typeof ROLES)[number]

/** What a member may do, scoped to a unit and everything under it. */
export const roles = pgTable(
  'roles',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    role: text('role', { enum: ROLES }).notNull(),
  },
  (t) => [
    uniqueIndex('roles_member_unit_role_key').on(t.memberId, t.unitId, t.role),
    index('roles_unit_idx').on(t.unitId),
  ],
)
