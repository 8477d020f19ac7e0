import { setTimeout as sleep } from 'node:timers/promises'
import { Batcher } from '../core/batcher.ts'
import type { Services } from '../core/services.ts'
import type { OutboundMessage } from '../queues/outbound-message.ts'
import {
  HoldError,
  InfrastructureError,
  isInfrastructureFailure,
  type SendFailureReason,
} from '../queues/send-failures.ts'
import type { Said, Sender, SendHooks } from '../queues/send-hooks.ts'
import { groupBy } from './audience.ts'
import { deliveryIdOf, deliveryPartOf } from './delivery-jobs.ts'
import {
  type BeginSend,
  beginPart,
  beginSends,
  type DeliveryRef,
  markFailed,
  markPartSaid,
  markSentMany,
} from './delivery-store.ts'
import { PAUSED_HOLD_MS, pauseIfFailing } from './pause-notice.ts'
import { reportProgressSafely } from './progress.ts'
import { recordMessages } from './recall-store.ts'
import { CLAIM_MS, SendPace } from './send-pace.ts'

/** Gate statements in flight at once (of the pool's 10 connections). */
const GATE_BATCHES = 3

/**
 * A `sent` write waits this long for more to join it: nobody waits on it, and each statement costs
 * the database far more than its rows (plus a progress check per notice tier it touches).
 */
const SENT_GATHER_MS = 50

/** Waits between attempts at writing a batch of sends while PostgreSQL refuses it. */
const RETRY_MS = [100, 500, 2_000, 5_000] as const

/** Expired claims remembered as unused at most; see DeliveryLedger.unusedClaims. */
const UNUSED_CLAIMS_MAX = 100_000

/**
 * How long a give-up keeps trying to record `failed` while PostgreSQL is unavailable; past that
 * the reconciler records it from the failed job in Redis.
 */
const FAILED_WRITE_MS = 10 * 60_000

/**
 * The send bookkeeping of notices, one per process, shared by its bot accounts, run around each
 * say of a message about a delivery (ref "delivery:<id>"):
 * - before: take the delivery (pending/sending → sending, attempts + 1) or skip the message when
 *   it was already sent, given up, its notice cancelled or the bot removed from the room; hold it
 *   (HoldError: the job is parked, the row stays pending) while its notice is paused. This
 *   check of the row, not Redis, is what keeps a re-queued delivery from being said twice. A take
 *   of a row whose last say never came back as sent is counted as a possible repeat (uncertain,
 *   可能重复 in 回执). PostgreSQL unavailable → InfrastructureError: the send worker parks the
 *   job without using an attempt, so an outage never fails a delivery.
 * - after: sent, with the time, written behind in batches; then progress (tier line, the one
 *   final summary).
 * - failed: retries exhausted, failed with the reason category (never the error's text), retried
 *   while PostgreSQL is briefly unavailable; then the notice pauses itself if too many failed.
 * - settle: the sends not yet written, written (the bot stopping).
 *
 * A notice's attachments (ref "delivery:<id>.<part>", delivery-jobs.ts) come after the group's
 * text on the same row: each has a gate of its own (beginPart: taken only when the group has had
 * the messages before it) and is recorded at once (markPartSaid), not behind, so the next part's
 * gate sees it. The platform's message ids, when the puppet gives them, are kept for 撤回.
 *
 * The gates of concurrent sends go to PostgreSQL as one batch, and sends are recorded
 * `sent` behind the say, in batches, each followed by one progress report per notice it touched;
 * the reports run in order beside the writes, so a slow one never holds the next write back.
 *
 * An account sending fast (pacing off or loose) has its next deliveries, the rest of the page in
 * hand, claimed with the one about to go out (see SendPace); their gates are then answered here for
 * CLAIM_MS without a round trip. What a cancel or a removal from a room may miss is bounded by
 * that: a claim was taken while the notice was confirmed and the group active, and is never used
 * once older. An unused claim leaves its row `sending`, which its own gate takes again later.
 *
 * Why writing behind is safe: a page's progress moves past a room (and a job of its own
 * completes) as soon as the say returns, before its row is written. If the process dies in
 * between, Redis shows the room said and the row is still open; the reconciler records exactly that
 * case as sent and queues nothing. A say whose progress had not reached Redis runs again, as a
 * send in flight always could (the one second copy the design allows).
 */
export class DeliveryLedger implements SendHooks {
  private readonly gates: Batcher<number, BeginSend>
  private readonly sent: Batcher<number, void>
  /** The progress reports of the `sent` writes so far, chained (never rejects). */
  private reports: Promise<void> = Promise.resolve()
  private closing = false
  private readonly pace = new SendPace()
  /** Deliveries claimed ahead of their jobs → until when the claim may be used (ms). */
  private readonly claims = new Map<number, number>()
  /** The deliveries to claim along with a gate waiting for its batch. */
  private readonly aheadOf = new Map<number, number[]>()
  /**
   * Deliveries claimed ahead whose claim expired unused: their row says a say started, but this
   * process knows none did, so their next take is not counted as a possible repeat.
   */
  private readonly unusedClaims = new Set<number>()
  /** Texts said with the platform's message id, written with their `sent`. */
  private readonly messageIds = new Map<number, string>()

  constructor(private readonly services: Services) {
    // A few gate batches at a time: each send waits on its gate, and a batch is quick.
    this.gates = new Batcher((ids) => this.begin(ids), { concurrency: GATE_BATCHES })
    this.sent = new Batcher(
      async (ids) => {
        const changed = await this.writeSent(ids)
        // In order, one at a time, but not in the way of the next write: a report may wait on
        // messages to the author, and sends said meanwhile pile up unwritten behind it.
        this.reports = this.reports
          .then(() => this.report(changed))
          .catch((err: unknown) => this.services.log.error({ err }, 'progress report failed'))
        return new Map()
      },
      { gatherMs: SENT_GATHER_MS },
    )
  }

  async before(msg: OutboundMessage, refId: string, sender: Sender): Promise<'say' | 'skip'> {
    const { log } = this.services
    const part = deliveryPartOf(refId)
    const id = part?.id ?? deliveryIdOf(refId)
    if (id === undefined) {
      log.error({ ref: msg.ref, room: msg.roomId }, 'bad delivery ref: not sent')
      return 'skip'
    }
    let gate: BeginSend
    try {
      gate = part ? await this.partGate(part.id, part.part) : await this.gate(id, sender)
    } catch (err) {
      // Not the message's fault: the send worker puts it back without using an attempt.
      if (isInfrastructureFailure(err))
        throw new InfrastructureError('delivery gate', { cause: err })
      throw err
    }
    if (gate.say) return 'say'
    // Paused: the job waits where it is (the row stays pending) until the notice is resumed.
    if (gate.why === 'paused') throw new HoldError(`delivery ${id}: notice paused`, PAUSED_HOLD_MS)
    log.info({ delivery: id, room: msg.roomId, why: gate.why }, 'delivery not said')
    if (gate.changed)
      await reportProgressSafely(this.services, gate.changed.noticeId, gate.changed.tier)
    return 'skip'
  }

  async after(_msg: OutboundMessage, refId: string, said?: Said): Promise<void> {
    const part = deliveryPartOf(refId)
    if (part) return this.partSaid(part.id, part.part, said?.messageId)
    const id = deliveryIdOf(refId)
    if (id === undefined) return
    if (said?.messageId) this.messageIds.set(id, said.messageId)
    // Never rejects: the batch keeps retrying (see writeSent).
    void this.sent.load(id)
  }

  /**
   * An attachment's gate: the group's text, said and still being written behind, is written first,
   * or the gate would find the group without it and leave the attachment for later.
   */
  private async partGate(id: number, part: number): Promise<BeginSend> {
    if (this.sent.holds(id)) await this.sent.load(id)
    return beginPart(this.services.db, id, part)
  }

  /** An attachment said: recorded now (the next part's gate reads it), retried like `sent`. */
  private async partSaid(id: number, part: number, messageId: string | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (messageId) {
          await recordMessages(this.services.db, [{ deliveryId: id, part, messageId }])
        }
        const changed = await markPartSaid(this.services.db, id, part)
        if (changed?.done) await reportProgressSafely(this.services, changed.noticeId, changed.tier)
        return
      } catch (err) {
        const giveUp = this.closing && attempt >= 2
        this.services.log.error(
          { err, delivery: id, part, attempt, giveUp },
          'recording a part failed',
        )
        if (giveUp) return
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)])
      }
    }
  }

  /**
   * Records the give-up, as its reason category only (the error's text goes to the log). Retried
   * while PostgreSQL is unavailable, so a failure is not left `sending` by a short outage.
   */
  async failed(
    msg: OutboundMessage,
    refId: string,
    error: string,
    reason: SendFailureReason = 'unknown',
  ): Promise<void> {
    const id = deliveryIdOf(refId) ?? deliveryPartOf(refId)?.id
    if (id === undefined) return
    const { log } = this.services
    log.error({ delivery: id, room: msg.roomId, error, reason }, 'delivery failed for good')
    const deadline = Date.now() + FAILED_WRITE_MS
    for (let attempt = 0; ; attempt++) {
      try {
        const ref = await markFailed(this.services.db, id, reason)
        if (ref) {
          await this.pauseIfFailing(ref.noticeId)
          await reportProgressSafely(this.services, ref.noticeId, ref.tier)
        }
        return
      } catch (err) {
        const giveUp = !isInfrastructureFailure(err) || this.closing || Date.now() >= deadline
        log.error({ err, delivery: id, attempt, giveUp }, 'recording a failed delivery failed')
        if (giveUp) throw new InfrastructureError('delivery failed', { cause: err })
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)])
      }
    }
  }

  /** Auto-pause must not undo the failure's record: its own error is logged only. */
  private async pauseIfFailing(noticeId: number): Promise<void> {
    try {
      await pauseIfFailing(this.services, noticeId)
    } catch (err) {
      this.services.log.error({ err, notice: noticeId }, 'auto-pause check failed')
    }
  }

  private async gate(id: number, sender: Sender): Promise<BeginSend> {
    // Said and not yet written: a second job for it (a re-run fan-out) must not say it again.
    if (this.sent.holds(id)) return { say: false, why: 'done' }
    const now = Date.now()
    const ahead = this.pace.ahead(sender.account, now)
    const until = this.claims.get(id)
    if (until !== undefined) {
      this.claims.delete(id)
      if (until > now) return { say: true }
      this.unusedClaims.add(id)
    }
    if (ahead > 0) {
      const next = sender.upcoming(ahead).flatMap((refId) => {
        const nextId = deliveryIdOf(refId)
        return nextId === undefined || nextId === id || this.claims.has(nextId) ? [] : [nextId]
      })
      if (next.length > 0) this.aheadOf.set(id, next)
    }
    return this.gates.load(id)
  }

  private async begin(ids: number[]): Promise<Map<number, BeginSend>> {
    const ahead = ids.flatMap((id) => {
      const next = this.aheadOf.get(id) ?? []
      this.aheadOf.delete(id)
      return next
    })
    const unsaid = ids.filter((id) => this.unusedClaims.delete(id))
    // The claim's age counts from before the statement: later would stretch CLAIM_MS.
    const until = Date.now() + CLAIM_MS
    let gates: Map<number, BeginSend>
    try {
      gates = await beginSends(this.services.db, ids, ahead, unsaid)
    } catch (err) {
      for (const id of unsaid) this.unusedClaims.add(id)
      throw err
    }
    if (ahead.length > 0) {
      for (const [claimed, at] of this.claims) {
        if (at > until - CLAIM_MS) continue
        this.claims.delete(claimed)
        this.unusedClaims.add(claimed)
      }
      for (const next of ahead) if (gates.get(next)?.say) this.claims.set(next, until)
    }
    // Bounded: forgetting errs on the safe side (a later take is flagged 可能重复).
    if (this.unusedClaims.size > UNUSED_CLAIMS_MAX) this.unusedClaims.clear()
    return gates
  }

  /** Writes every send recorded so far; on shutdown, after the send workers stopped. */
  async settle(): Promise<void> {
    this.closing = true
    try {
      await this.sent.idle()
      await this.reports
    } finally {
      this.closing = false
    }
  }

  /**
   * Retries while PostgreSQL refuses (the message is out: the write must not be dropped), but
   * only a few times once the process is closing; what is still unwritten then is the case the
   * reconciler covers.
   */
  private async writeSent(ids: number[]): Promise<DeliveryRef[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        // The ids first: 撤回 takes back what a `sent` row names, so none may be sent without.
        const said = ids.flatMap((id) => {
          const messageId = this.messageIds.get(id)
          return messageId === undefined ? [] : [{ deliveryId: id, part: 0, messageId }]
        })
        if (said.length > 0) await recordMessages(this.services.db, said)
        const changed = await markSentMany(this.services.db, ids)
        for (const id of ids) this.messageIds.delete(id)
        if (changed.length < ids.length) {
          this.services.log.warn(
            { deliveries: ids.length - changed.length },
            'deliveries said but already sent',
          )
        }
        return changed
      } catch (err) {
        const giveUp = this.closing && attempt >= 2
        this.services.log.error(
          { err, deliveries: ids.length, attempt, giveUp },
          'recording sends failed',
        )
        if (giveUp) return []
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)])
      }
    }
  }

  private async report(changed: readonly DeliveryRef[]): Promise<void> {
    for (const [noticeId, refs] of groupBy(changed, (r) => r.noticeId)) {
      await reportProgressSafely(
        this.services,
        noticeId,
        refs.map((r) => r.tier),
      )
    }
  }
}
