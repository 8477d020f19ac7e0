/**
 * 撤回 N12: the notice stops going out (as 取消 stops it) and every message of it already said is
 * taken back where the platform still allows it (WeChat: two minutes after the send). Each take-back
 * is a job on the room's account's send queue, ahead of everything else there, since only the
 * process holding that account's puppet can take its messages back; RecallHooks records how each
 * ended, per message and per group (recalled / too-late / failed), and reports the counts per tier
 * once none is left pending.
 */
import type { Services } from '../core/services.ts'
import { until } from '../core/until.ts'
import type { RecallState } from '../db/schema/broadcasts.ts'
import type { OutboundMessage } from '../queues/outbound-message.ts'
import { type Sender, type SendHooks, sendRef } from '../queues/send-hooks.ts'
import { type ActionResult, findManageable, type NoticeAction } from './confirm-notice.ts'
import { auditNotice } from './notice-audit.ts'
import { noticeCode } from './notice-code.ts'
import { markCancelled } from './notice-store.ts'
import {
  markMessageRecall,
  pendingRecalls,
  recallableMessages,
  recallCounts,
  saidMessage,
  sendingCount,
  settleDeliveryRecall,
} from './recall-store.ts'
import { cancelReminders } from './reminders.ts'
import { recallTexts } from './templates.ts'

/** The kind of a take-back message, for the send hooks. */
export const RECALL_REF = 'recall'

/** WeChat takes a message back within two minutes of its send (NOTICE_RECALL_WINDOW_S). */
const DEFAULT_WINDOW_MS = 120_000

/**
 * How long 撤回 waits for the says in flight when it stops the notice (a claim lasts a second, a
 * say a few): their messages are then on record, and taken back with the rest.
 */
const IN_FLIGHT_WAIT_MS = 5_000

/** Where the final counts go: kept this long for the take-backs to finish (seconds). */
const REPLY_TTL_S = 3600

export type RecallOutcome = 'recalling' | 'recalled' | 'unknown' | 'refused'

function recallWindowMs(services: Pick<Services, 'notices'>): number {
  return services.notices?.recallWindowMs ?? DEFAULT_WINDOW_MS
}

const replyKey = (services: Services, noticeId: number) =>
  `${services.queuePrefix}:recall-reply:${noticeId}`

/** "42.1": delivery 42's part 1 as a take-back's ref id. */
const messageKeyOf = (refId: string) => {
  const m = /^([1-9][0-9]{0,9})\.([0-9])$/.exec(refId)
  return m ? { deliveryId: Number(m[1]), part: Number(m[2]) } : undefined
}

export interface RecallOptions {
  /** Where the counts go once every take-back has ended (chat: the room 撤回 was typed in). */
  replyTo?: { account: string; roomId: string } | undefined
}

/**
 * Authorized as 取消 (the author, an admin over the scope, an operator), audited either way.
 * Pending sends stop at once; what was said is asked back. The reply tells how many were
 * stopped, asked back, too late or without a message id; the counts per tier follow.
 */
export async function recallNotice(
  services: Services,
  action: NoticeAction,
  opts: RecallOptions = {},
): Promise<ActionResult<RecallOutcome> & { asked?: number }> {
  const found = await findManageable(services, action, 'notice.recall')
  if (!found.ok) return found.result
  const { notice, code, audit } = found
  const { db, log } = services
  const stopped = (await markCancelled(db, notice.id))?.stopped ?? 0
  await cancelReminders(services, notice.id)
  // Says already claimed finish within seconds; waiting lets their messages be taken back too.
  await until(async () => (await sendingCount(db, notice.id)) === 0, IN_FLIGHT_WAIT_MS, 100).catch(
    () => log.warn({ notice: code }, 'recall: sends still in flight; taking back what is recorded'),
  )
  const window = recallWindowMs(services)
  // said_at is PostgreSQL's clock, so the wall clock here, not services.now() (tests move it).
  const now = Date.now()
  const tally: Record<Exclude<RecallState, 'recalled'>, number> = {
    pending: 0,
    'too-late': 0,
    failed: 0,
  }
  for (const m of await recallableMessages(db, notice.id)) {
    const state: RecallState =
      m.saidAt.getTime() + window <= now
        ? 'too-late'
        : m.account === null || m.roomId === null
          ? 'failed'
          : 'pending'
    if (!(await markMessageRecall(db, m, state, 'unasked'))) continue
    tally[state]++
    if (state !== 'pending' || m.account === null || m.roomId === null) continue
    const msg: Omit<OutboundMessage, 'roomId'> = {
      text: recallTexts.jobText(code),
      kind: 'notice',
      tier: m.tier,
      recall: m.messageId,
      ref: sendRef(RECALL_REF, `${m.deliveryId}.${m.part}`),
    }
    await services.messenger.toRoom(m.account, m.roomId, msg, `rc-${m.deliveryId}-${m.part}`)
  }
  await settleDeliveryRecall(db, notice.id)
  await auditNotice(db, audit, true, {
    notice: code,
    stopped,
    asked: tally.pending,
    tooLate: tally['too-late'],
    failed: tally.failed,
  })
  log.info({ notice: code, actor: action.actor.ref, stopped, ...tally }, 'notice recalled')
  const started = recallTexts.started(code, stopped, tally.pending, tally['too-late'])
  if (tally.pending === 0) {
    return {
      outcome: 'recalled',
      message: `${started}\n${await recallReport(services, notice.id)}`,
      asked: 0,
    }
  }
  if (opts.replyTo) {
    await services.connection.set(
      replyKey(services, notice.id),
      JSON.stringify(opts.replyTo),
      'EX',
      REPLY_TTL_S,
    )
  }
  return { outcome: 'recalling', message: started, asked: tally.pending }
}

/** The notice's groups that had its messages, per tier and take-back outcome, as lines. */
export async function recallReport(services: Services, noticeId: number): Promise<string> {
  return recallTexts.report(noticeCode(noticeId), await recallCounts(services.db, noticeId))
}

/** Whether the notice still has take-backs pending. */
export async function recallPending(services: Services, noticeId: number): Promise<boolean> {
  return (await pendingRecalls(services.db, noticeId)) > 0
}

/**
 * The bookkeeping of take-back messages (ref "recall:<delivery>.<part>"): a take-back past the
 * window is not attempted (too-late), one the platform did it is recalled, one it refused (or that
 * failed for good) is failed. The last one of a notice sends the counts where 撤回 was typed.
 */
export class RecallHooks implements SendHooks {
  constructor(private readonly services: Services) {}

  async before(_msg: OutboundMessage, refId: string, _sender: Sender): Promise<'say' | 'skip'> {
    const key = messageKeyOf(refId)
    const row = key && (await saidMessage(this.services.db, key))
    if (!key || !row || row.recall !== 'pending') return 'skip'
    if (row.saidAt.getTime() + recallWindowMs(this.services) > Date.now()) return 'say'
    await this.settle1(key, 'too-late')
    return 'skip'
  }

  async after(_msg: OutboundMessage, refId: string): Promise<void> {
    const key = messageKeyOf(refId)
    if (key) await this.settle1(key, 'recalled')
  }

  async failed(_msg: OutboundMessage, refId: string): Promise<void> {
    const key = messageKeyOf(refId)
    if (key) await this.settle1(key, 'failed')
  }

  private async settle1(key: { deliveryId: number; part: number }, state: RecallState) {
    const { db } = this.services
    if (!(await markMessageRecall(db, key, state))) return
    const row = await saidMessage(db, key)
    if (!row) return
    await settleDeliveryRecall(db, row.noticeId)
    if (await recallPending(this.services, row.noticeId)) return
    // GETDEL: of two processes finishing a notice's last take-backs at once, one reports.
    const to = await this.services.connection.getdel(replyKey(this.services, row.noticeId))
    if (!to) return
    const { account, roomId } = JSON.parse(to) as { account: string; roomId: string }
    await this.services.messenger.toRoom(account, roomId, {
      text: await recallReport(this.services, row.noticeId),
      kind: 'reply',
    })
  }
}
