import { and, desc, eq, or, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { auditLog } from '../db/schema/audit.ts'
import { members, units } from '../db/schema/network.ts'

export interface AuditQuery {
  /** Only lines about units at or under these paths; undefined: every line, unit or not. */
  scopes?: readonly string[]
  /** Actions starting with this ("notice." for every notice line). */
  action?: string
  /** The actor's ref (微信号, cli:<user>) or member name, exactly. */
  actor?: string
  allowed?: boolean
  limit: number
}

export interface AuditLine {
  at: Date
  actorRef: string
  memberName: string | null
  action: string
  unitPath: string | null
  allowed: boolean
  detail: Record<string, unknown> | null
}

/** The audit log newest first, filtered: the console's search over it. */
export async function searchAudit(db: Db, q: AuditQuery): Promise<AuditLine[]> {
  const within: SQL | undefined =
    q.scopes === undefined
      ? undefined
      : q.scopes.length === 0
        ? sql`false`
        : or(
            ...q.scopes.map(
              (p) => sql`(${units.path} = ${p} or starts_with(${units.path}, ${`${p}/`}))`,
            ),
          )
  return db
    .select({
      at: auditLog.at,
      actorRef: auditLog.actorRef,
      memberName: members.name,
      action: auditLog.action,
      unitPath: units.path,
      allowed: auditLog.allowed,
      detail: auditLog.detail,
    })
    .from(auditLog)
    .leftJoin(members, eq(members.id, auditLog.memberId))
    .leftJoin(units, eq(units.id, auditLog.unitId))
    .where(
      and(
        within,
        q.action ? sql`starts_with(${auditLog.action}, ${q.action})` : undefined,
        q.actor ? or(eq(auditLog.actorRef, q.actor), eq(members.name, q.actor)) : undefined,
        q.allowed === undefined ? undefined : eq(auditLog.allowed, q.allowed),
      ),
    )
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(q.limit)
}
