import { createHash, randomBytes } from 'node:crypto'
import { recordAudit } from '../audit/record-audit.ts'
import type { Db } from '../db/client.ts'
import { loginTokens } from '../db/schema/console.ts'
import type { Role } from '../db/schema/network.ts'

/** Who may use the staff console: the staff roles (grid workers and volunteers work in chat). */
export const CONSOLE_ROLES: readonly Role[] = ['admin', 'propagandist', 'station_staff']

/** Ten minutes: long enough to open the link on the phone that received it, short if it leaks. */
const LOGIN_LINK_TTL_MS = 10 * 60_000

/** The stored form of a login or session token: its SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** 32 random bytes, URL-safe: unguessable, and fits a link without escaping. */
export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * A one-time console login link for a staff member, for the bot (`登录`) and the CLI
 * (`quanqun login-link`). Only the token's hash is written (and an audit line); the link itself is shown once.
 */
export async function issueLoginLink(
  db: Db,
  opts: { memberId: number; issuedBy: string; consoleUrl: string; now: Date },
): Promise<{ url: string; expiresAt: Date }> {
  const token = newToken()
  const expiresAt = new Date(opts.now.getTime() + LOGIN_LINK_TTL_MS)
  await db.insert(loginTokens).values({
    tokenHash: hashToken(token),
    memberId: opts.memberId,
    issuedBy: opts.issuedBy,
    expiresAt,
  })
  await recordAudit(db, {
    memberId: opts.memberId,
    actorRef: opts.issuedBy,
    action: 'web.link',
    allowed: true,
  })
  return { url: `${opts.consoleUrl}/login?t=${token}`, expiresAt }
}
