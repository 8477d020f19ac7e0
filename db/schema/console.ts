import { index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { members } from './network.ts'

/**
 * One-time login links of the staff console (`登录` in chat, `quanqun login-link`). Only the
 * SHA-256 of the token is kept, so a database dump opens no session; a link is used once
 * (`used_at`) and expires ten minutes after it was issued.
 */
export const loginTokens = pgTable(
  'login_tokens',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    tokenHash: text('token_hash').notNull(),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    /** Who asked for it: the member's own chat id, or `cli:<user>`. */
    issuedBy: text('issued_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('login_tokens_hash_key').on(t.tokenHash)],
)

/**
 * A console session, bound to the member (and so to their WeChat id and current roles, read on
 * every request). The cookie holds the token; only its hash is stored. `csrf` is the per-session
 * token every form posts back. Revoked or past `expires_at`, the session opens nothing.
 */
export const webSessions = pgTable(
  'web_sessions',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    tokenHash: text('token_hash').notNull(),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    csrf: text('csrf').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('web_sessions_hash_key').on(t.tokenHash),
    index('web_sessions_member_idx').on(t.memberId),
  ],
)
