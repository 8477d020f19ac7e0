import type { Db } from '../db/client.ts'
import { auditLog } from '../db/schema/audit.ts'

export interface AuditEntry {
  memberId?: number | null
  actorRef: string
  action: string
  unitId?: number | null
  groupId?: number | null
  allowed: boolean
  detail?: Record<string, unknown>
}

/** Appends one line to the audit log; refusals are written as faithfully as successes. */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    memberId: entry.memberId ?? null,
    actorRef: entry.actorRef,
    action: entry.action,
    unitId: entry.unitId ?? null,
    groupId: entry.groupId ?? null,
    allowed: entry.allowed,
    detail: entry.detail ?? null,
  })
}
