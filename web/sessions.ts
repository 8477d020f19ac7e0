/**
 * Console sessions in PostgreSQL: a one-time login link becomes a session bound to the member;
 * a session is read by its cookie on every request, and revoked on logout (or by an operator
 * deleting or revoking the row). Only hashes of tokens are stored.
 */
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { loginTokens, members, webSessions } from '../db/schema/index.ts'
import { hashToken, newToken } from '../network/login-links.ts'

/** Twelve hours: a working day at the desk, then a new link from the bot. */
export const SESSION_TTL_MS = 12 * 3600_000

export interface OpenedSession {
  /** For the cookie; never stored. */
  token: string
  memberId: number
  wechatId: string
}

/**
 * Uses a login link: one conditional UPDATE marks it used only if it is unused and unexpired, so
 * two clicks (or a link preview racing the person) open at most one session.
 */
export async function openSession(
  db: Db,
  loginToken: string,
  now: Date,
): Promise<OpenedSession | undefined> {
  if (loginToken.length < 20 || loginToken.length > 100) return undefined
  const [used] = await db
    .update(loginTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(loginTokens.tokenHash, hashToken(loginToken)),
        isNull(loginTokens.usedAt),
        gt(loginTokens.expiresAt, now),
      ),
    )
    .returning({ memberId: loginTokens.memberId })
  if (!used) return undefined
  const [member] = await db
    .select({ wechatId: members.wechatId })
    .from(members)
    .where(eq(members.id, used.memberId))
  if (!member) return undefined
  const token = newToken()
  await db.insert(webSessions).values({
    tokenHash: hashToken(token),
    memberId: used.memberId,
    csrf: newToken(),
    expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
  })
  return { token, memberId: used.memberId, wechatId: member.wechatId }
}

export interface LiveSession {
  id: number
  wechatId: string
  csrf: string
}

/** The live session behind a cookie: not revoked, not expired. */
export async function readSession(
  db: Db,
  token: string,
  now: Date,
): Promise<LiveSession | undefined> {
  if (token.length < 20 || token.length > 100) return undefined
  const [row] = await db
    .select({ id: webSessions.id, wechatId: members.wechatId, csrf: webSessions.csrf })
    .from(webSessions)
    .innerJoin(members, eq(members.id, webSessions.memberId))
    .where(
      and(
        eq(webSessions.tokenHash, hashToken(token)),
        isNull(webSessions.revokedAt),
        gt(webSessions.expiresAt, now),
      ),
    )
  return row
}

export async function revokeSession(db: Db, id: number): Promise<void> {
  await db
    .update(webSessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(webSessions.id, id), isNull(webSessions.revokedAt)))
}
