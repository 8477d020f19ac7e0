import { and, eq, lt, ne, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { auditLog } from '../db/schema/audit.ts'

/**
 * Past the retention, audit lines keep who-did-what for members (staff act in their role) but
 * lose what identifies a resident: the chat id of a non-member and any text they typed.
 * Returns how many lines changed. Idempotent.
 */
export async function anonymizeAudit(db: Db, before: Date): Promise<number> {
  const changed = await db
    .update(auditLog)
    .set({
      actorRef: sql`case when ${auditLog.memberId} is null then 'purged' else ${auditLog.actorRef} end`,
      detail: sql`${auditLog.detail} - 'text'`,
    })
    .where(
      and(
        lt(auditLog.at, before),
        sql`(${auditLog.detail} ? 'text' or (${auditLog.memberId} is null and ${auditLog.actorRef} <> 'purged'))`,
      ),
    )
    .returning({ id: auditLog.id })
  return changed.length
}

/** The audit lines about one person's own actions, for `quanqun privacy export`. */
export async function auditOf(db: Db, actorRef: string) {
  return db
    .select({
      at: auditLog.at,
      action: auditLog.action,
      allowed: auditLog.allowed,
      detail: auditLog.detail,
    })
    .from(auditLog)
    .where(and(eq(auditLog.actorRef, actorRef), ne(auditLog.actorRef, 'purged')))
    .orderBy(auditLog.id)
}
