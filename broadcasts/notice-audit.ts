import { recordAudit } from '../audit/record-audit.ts'
import type { Db } from '../db/client.ts'
import { memberIdOf, type NoticeActor } from './authorize.ts'

/** The actions on a notice the audit log names. */
export type NoticeAuditAction =
  | 'notice.create'
  | 'notice.confirm'
  | 'notice.cancel'
  | 'notice.resend'
  | 'notice.pause'
  | 'notice.resume'
  | 'notice.receipt'
  | 'notice.recall'

/** Who acts on a notice of which unit, from which group: what every audit line of it shares. */
export interface NoticeAuditScene {
  actor: NoticeActor
  action: NoticeAuditAction
  /** The notice's scope. */
  unitId: number
  /** The group the command was typed in; none for the CLI and schedules. */
  groupId?: number | undefined
}

/** One audit line of a notice action, allowed or refused alike, with what it acted on. */
export async function auditNotice(
  db: Db,
  scene: NoticeAuditScene,
  allowed: boolean,
  detail: Record<string, unknown>,
): Promise<void> {
  await recordAudit(db, {
    memberId: memberIdOf(scene.actor),
    actorRef: scene.actor.ref,
    action: scene.action,
    unitId: scene.unitId,
    groupId: scene.groupId ?? null,
    allowed,
    detail,
  })
}
