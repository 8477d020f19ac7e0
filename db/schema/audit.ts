import { boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { groups, members, units } from './network.ts'

/** Who tried what, where, and whether it was allowed. Refusals are recorded too. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    memberId: integer('member_id').references(() => members.id),
    /** The chat contact id or CLI user, for actors that are not members. */
    actorRef: text('actor_ref').notNull(),
    action: text('action').notNull(),
    unitId: integer('unit_id').references(() => units.id),
    groupId: integer('group_id').references(() => groups.id),
    allowed: boolean('allowed').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_action_idx').on(t.action)],
)
