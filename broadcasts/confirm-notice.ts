import { formatLocalTime } from '../core/local-time.ts'
import type { Services } from '../core/services.ts'
import { mayApprove, mayManage, type NoticeActor, needsApproval } from './authorize.ts'
import { startFanout } from './fan-out.ts'
import { auditNotice, type NoticeAuditAction, type NoticeAuditScene } from './notice-audit.ts'
import { noticeCode } from './notice-code.ts'
import {
  findNotice,
  markApprovalRequested,
  markCancelled,
  markConfirmed,
  type NoticeWithScope,
  noticeProgress,
} from './notice-store.ts'
import { cancelReminders, scheduleReminders } from './reminders.ts'
import { noticeTexts, pauseTexts } from './templates.ts'

/** A draft older than this is refused on 确认: a day-old preview is not an informed decision. */
const DRAFT_TTL_MS = 24 * 3600 * 1000

export interface NoticeAction {
  id: number
  actor: NoticeActor
  /** The group the command was typed in, for the audit line. */
  groupId?: number | undefined
}

export interface ConfirmOptions {
  /**
   * False when the caller knows Redis is unreachable (the CLI probes it): the notice is confirmed
   * in PostgreSQL only and the reconciler queues it once its deliveries are stale.
   */
  queueFanout?: boolean
}

export type ConfirmOutcome =
  | 'confirmed'
  | 'awaitingApproval'
  | 'alreadyConfirmed'
  | 'alreadyDone'
  | 'cancelled'
  | 'expired'
  | 'unknown'
  | 'refused'

export interface ActionResult<O extends string> {
  outcome: O
  /** One line for the chat reply or the CLI. */
  message: string
  /** False when the fan-out could not be queued now (Redis down): the reconciler will. */
  queued?: boolean
}

export type Found =
  | { ok: true; notice: NoticeWithScope; code: string; audit: NoticeAuditScene }
  | { ok: false; result: ActionResult<'unknown' | 'refused'> }

/**
 * The notice, if `action.actor` may manage it (确认's authorization: the author, an admin over the
 * scope, or an operator); a refusal is audited under `auditAction` and answered.
 */
export async function findManageable(
  services: Services,
  action: NoticeAction,
  auditAction: NoticeAuditAction,
): Promise<Found> {
  const code = noticeCode(action.id)
  const notice = await findNotice(services.db, action.id)
  if (!notice) {
    return { ok: false, result: { outcome: 'unknown', message: noticeTexts.unknownNotice(code) } }
  }
  const audit: NoticeAuditScene = {
    actor: action.actor,
    action: auditAction,
    unitId: notice.scopeUnitId,
    groupId: action.groupId,
  }
  if (!mayManage(action.actor, notice)) {
    await auditNotice(services.db, audit, false, { notice: code })
    return { ok: false, result: { outcome: 'refused', message: noticeTexts.notAuthor(code) } }
  }
  return { ok: true, notice, code, audit }
}

/**
 * 确认: draft → confirmed, then the fan-out is queued. The state change is one conditional UPDATE,
 * so a replayed 确认, a double click in the CLI or two people confirming at once start one fan-out;
 * the others are told it is already going out.
 */
export async function confirmNotice(
  services: Services,
  action: NoticeAction,
  opts: ConfirmOptions = {},
): Promise<ActionResult<ConfirmOutcome>> {
  const draft = await findNotice(services.db, action.id)
  if (
    draft?.status === 'draft' &&
    needsApproval(services.noticeApprovalTiers, action.actor, draft.scopePath)
  ) {
    return confirmWithApproval(services, action, draft, opts)
  }
  const found = await findManageable(services, action, 'notice.confirm')
  if (!found.ok) return found.result
  return confirmFound(services, action, found, opts)
}

/**
 * 双人审核: the author's 确认 records the request; then a second member who may author for the
 * scope confirms it, and only that sends it. The author alone, twice, sends nothing.
 */
async function confirmWithApproval(
  services: Services,
  action: NoticeAction,
  notice: NoticeWithScope,
  opts: ConfirmOptions,
): Promise<ActionResult<ConfirmOutcome>> {
  const code = noticeCode(notice.id)
  const audit: NoticeAuditScene = {
    actor: action.actor,
    action: 'notice.confirm',
    unitId: notice.scopeUnitId,
    groupId: action.groupId,
  }
  if (mayApprove(action.actor, notice)) {
    if (!notice.approvalRequestedAt) {
      return { outcome: 'awaitingApproval', message: noticeTexts.approvalNotRequested(code) }
    }
    const approver = action.actor.kind === 'member' ? action.actor.member?.id : undefined
    return confirmFound(services, action, { ok: true, notice, code, audit }, opts, approver)
  }
  if (!mayManage(action.actor, notice)) {
    await auditNotice(services.db, audit, false, { notice: code })
    return { outcome: 'refused', message: noticeTexts.notAuthor(code) }
  }
  if (!(await markApprovalRequested(services.db, notice.id))) {
    return { outcome: 'awaitingApproval', message: noticeTexts.awaitingApproval(code) }
  }
  await auditNotice(services.db, audit, true, { notice: code, approval: 'requested' })
  return { outcome: 'awaitingApproval', message: noticeTexts.approvalRequested(code) }
}

async function confirmFound(
  services: Services,
  action: NoticeAction,
  found: Extract<Found, { ok: true }>,
  opts: ConfirmOptions,
  approvedBy?: number,
): Promise<ActionResult<ConfirmOutcome>> {
  const { notice, code, audit } = found
  if (
    notice.status === 'draft' &&
    services.now().getTime() - notice.createdAt.getTime() > DRAFT_TTL_MS
  ) {
    const cancelled = await markCancelled(services.db, notice.id)
    if (cancelled) {
      await auditNotice(services.db, audit, true, { notice: code, expired: true })
      return { outcome: 'expired', message: noticeTexts.expired(code) }
    }
  }
  const confirmed = await markConfirmed(services.db, notice.id, approvedBy)
  if (!confirmed) {
    const now = await findNotice(services.db, notice.id)
    switch (now?.status) {
      case 'confirmed':
        return { outcome: 'alreadyConfirmed', message: noticeTexts.alreadyConfirmed(code) }
      case 'done':
        return { outcome: 'alreadyDone', message: noticeTexts.alreadyDone(code) }
      case 'paused':
        return { outcome: 'alreadyConfirmed', message: pauseTexts.alreadyPaused(code) }
      default:
        return { outcome: 'cancelled', message: noticeTexts.alreadyCancelled(code) }
    }
  }
  await auditNotice(services.db, audit, true, {
    notice: code,
    ...(approvedBy === undefined ? {} : { approved: true }),
  })
  const queued = opts.queueFanout === false ? false : await startFanout(services, confirmed)
  const reminders = await scheduleReminders(services, notice, action.actor)
  const { totals } = await noticeProgress(services.db, notice.id)
  services.log.info(
    { notice: code, actor: action.actor.ref, groups: totals.total, queued },
    'notice confirmed',
  )
  const message = confirmed.scheduledAt
    ? noticeTexts.confirmedFor(
        code,
        totals.total,
        formatLocalTime(confirmed.scheduledAt, services.timezone),
      )
    : noticeTexts.confirmed(code, totals.total)
  const remind = reminders.length > 0 ? `\n${noticeTexts.remindersScheduled(reminders)}` : ''
  return { outcome: 'confirmed', message: `${message}${remind}`, queued }
}

export type CancelOutcome =
  | 'cancelledDraft'
  | 'cancelledSending'
  | 'cancelledReminders'
  | 'alreadyCancelled'
  | 'alreadyDone'
  | 'unknown'
  | 'refused'

/**
 * 取消: a draft is dropped; a notice being sent stops (what was said stays said). Only the author,
 * an admin over the scope or an operator may.
 */
export async function cancelNotice(
  services: Services,
  action: NoticeAction,
): Promise<ActionResult<CancelOutcome>> {
  const found = await findManageable(services, action, 'notice.cancel')
  if (!found.ok) return found.result
  const { notice, code, audit } = found
  const cancelled = await markCancelled(services.db, notice.id)
  // An event called off after its notice went out still has reminders to stop.
  const reminders = await cancelReminders(services, notice.id)
  if (!cancelled) {
    if (reminders > 0) {
      await auditNotice(services.db, audit, true, { notice: code, reminders })
      return {
        outcome: 'cancelledReminders',
        message: noticeTexts.cancelledRemindersOnly(code, reminders),
      }
    }
    return notice.status === 'done'
      ? { outcome: 'alreadyDone', message: noticeTexts.cannotCancelDone(code) }
      : { outcome: 'alreadyCancelled', message: noticeTexts.alreadyCancelled(code) }
  }
  await auditNotice(services.db, audit, true, {
    notice: code,
    was: notice.status,
    stopped: cancelled.stopped,
    ...(reminders > 0 && { reminders }),
  })
  services.log.info(
    { notice: code, actor: action.actor.ref, stopped: cancelled.stopped },
    'notice cancelled',
  )
  if (notice.status === 'draft') {
    return { outcome: 'cancelledDraft', message: noticeTexts.cancelledDraft(code) }
  }
  const { totals } = await noticeProgress(services.db, notice.id)
  const also = reminders > 0 ? noticeTexts.remindersCancelled(reminders) : ''
  return {
    outcome: 'cancelledSending',
    message: `${noticeTexts.cancelledSending(code, totals.sent, cancelled.stopped)}${also}`,
  }
}
