import type { Services } from '../core/services.ts'
import type { SendQueues } from '../queues/send-queues.ts'
import { type ActionResult, findManageable, type NoticeAction } from './confirm-notice.ts'
import { deliveryJobId, enqueueDeliveries, type NoticeContent } from './delivery-jobs.ts'
import { failedCounts, reopenFailed, type Sendable } from './delivery-store.ts'
import { noticeContent } from './notice-attachments.ts'
import { auditNotice } from './notice-audit.ts'
import { reopenNotice } from './notice-store.ts'
import { noticeTexts, pauseTexts } from './templates.ts'

type ResendOutcome =
  | 'resent'
  | 'nothingToResend'
  | 'alreadyResent'
  | 'notSent'
  | 'unknown'
  | 'refused'

export interface ResendOptions {
  /** False when the caller knows Redis is unreachable (the CLI probes it): the reconciler queues. */
  queue?: boolean
  /** Where the sends are queued; the messenger's queues (production send options) by default. */
  sendQueues?: SendQueues
}

export interface ResendResult extends ActionResult<ResendOutcome> {
  /** Deliveries re-queued by this call. */
  resent: number
}

/**
 * 重发 N12 / `quanqun notice resend N12`: each failed delivery of a sent notice is queued once
 * more, at most once in its life (deliveries.resends), so a room that keeps refusing is not tried
 * for ever and a second resend sends nothing. Authorized as 确认 is (the author, an admin over the
 * scope, or an operator) and audited, allowed or refused. The rows go back to pending in one
 * statement with the notice re-opened, so two resends at once re-queue each row once; when Redis
 * is down (or `queue: false`, the CLI having found it so) the reconciler queues them once stale. The reply is `message`, for the chat
 * handler and the CLI alike.
 */
export async function resendFailed(
  services: Services,
  action: NoticeAction,
  opts: ResendOptions = {},
): Promise<ResendResult> {
  const found = await findManageable(services, action, 'notice.resend')
  if (!found.ok) return { ...found.result, resent: 0 }
  const { notice, code, audit } = found
  if (notice.status !== 'done' && notice.status !== 'confirmed') {
    // Paused: its failed groups wait with the rest for 继续.
    const message =
      notice.status === 'paused' ? pauseTexts.alreadyPaused(code) : noticeTexts.cannotResend(code)
    return { outcome: 'notSent', message, resent: 0 }
  }
  const rows = await services.db.transaction(async (tx) => {
    const reopened = await reopenFailed(tx, notice.id)
    if (reopened.length > 0) await reopenNotice(tx, notice.id)
    return reopened
  })
  if (rows.length === 0) {
    const { failed } = await failedCounts(services.db, notice.id)
    return failed > 0
      ? { outcome: 'alreadyResent', message: noticeTexts.alreadyResent(code, failed), resent: 0 }
      : { outcome: 'nothingToResend', message: noticeTexts.nothingToResend(code), resent: 0 }
  }
  await auditNotice(services.db, audit, true, { notice: code, resent: rows.length })
  const queues = opts.sendQueues ?? services.messenger.queues
  const queued =
    opts.queue === false
      ? false
      : await queueResends(services, queues, rows, await noticeContent(services, notice))
  services.log.info(
    { notice: code, actor: action.actor.ref, resent: rows.length, queued },
    'notice failed groups resent',
  )
  return {
    outcome: 'resent',
    message: noticeTexts.resent(code, rows.length),
    queued,
    resent: rows.length,
  }
}

/**
 * Queues the re-opened deliveries under page ids of the resend's own. A room's earlier job of its
 * own (`d-<id>`, failed) is removed first, or a retry of the resend under that id would collapse
 * into it. False when Redis refused: the reconciler queues them.
 */
async function queueResends(
  services: Services,
  queues: SendQueues,
  rows: readonly Sendable[],
  content: NoticeContent,
): Promise<boolean> {
  try {
    const parts = (content.parts?.length ?? 0) + 1
    for (const row of rows) {
      for (let part = row.partsSaid ?? 0; part < parts; part++) {
        await queues.of(row.account).remove(deliveryJobId(row.id, part))
      }
    }
    await enqueueDeliveries(queues, rows, content)
    return true
  } catch (err) {
    services.log.error({ err, deliveries: rows.length }, 'resend not queued; reconciler will')
    return false
  }
}
