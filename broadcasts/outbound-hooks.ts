import { setTimeout as sleep } from 'node:timers/promises'
import type { OutboundHookTable } from '../bot/outbound-hooks.ts'
import type { Db } from '../db/client.ts'
import { Batcher } from '../runtime/batcher.ts'
import type { Services } from '../runtime/services.ts'
import {
  type BeginSend,
  beginSends,
  type DeliveryRef,
  markFailed,
  markSentMany,
} from './delivery-store.ts'
import { reportProgressSafely } from './progress.ts'

function deliveryId(refId: string): number | undefined {
  const id = Number(refId)
  return Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647 ? id : undefined
}

/** Gate statements in flight at once (of the pool's 10 connections). */
const GATE_BATCHES = 3

/** Waits between attempts at writing a batch of sends while PostgreSQL refuses it. */
const RETRY_MS = [100, 500, 2_000, 5_000] as const

/**
 * The send bookkeeping of one process (one per database handle, so every account of the process
 * shares it): the gates of concurrent sends go to PostgreSQL as one batch, and sends are recorded
 * `sent` behind the say, in batches, each followed by one progress check per (notice, tier).
 *
 * Why writing behind is safe: the send job completes as soon as the say returns, before its row is
 * written. If the process dies in between, the job is `completed` in Redis and the row still open;
 * the reconciler records exactly that case as sent and queues nothing. A job that had not completed
 * yet runs again, as it always did for a send in flight (the one second copy the design allows).
 */
class DeliveryLedger {
  private readonly gates: Batcher<number, BeginSend>
  private readonly sent: Batcher<number, void>
  private closing = false

  constructor(private readonly services: Services) {
    // A few gate batches at a time: each send waits on its gate, and a batch is quick.
    this.gates = new Batcher((ids) => beginSends(services.db, ids), { concurrency: GATE_BATCHES })
    this.sent = new Batcher(async (ids) => {
      await this.report(await this.writeSent(ids))
      return new Map()
    })
  }

  gate(id: number): Promise<BeginSend> {
    // Said and not yet written: a second job for it (a re-run fan-out) must not say it again.
    if (this.sent.holds(id)) return Promise.resolve({ say: false, why: 'done' })
    return this.gates.load(id)
  }

  /** Queues the `sent` write; never rejects (the batch keeps retrying, see writeSent). */
  said(id: number): void {
    void this.sent.load(id)
  }

  /** Writes every send recorded so far; on shutdown, after the send workers stopped. */
  async settle(): Promise<void> {
    this.closing = true
    try {
      await this.sent.idle()
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
        const changed = await markSentMany(this.services.db, ids)
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
    const seen = new Set<string>()
    for (const ref of changed) {
      const key = `${ref.noticeId}-${ref.tier}`
      if (seen.has(key)) continue
      seen.add(key)
      await reportProgressSafely(this.services, ref.noticeId, ref.tier)
    }
  }
}

const ledgers = new WeakMap<Db, DeliveryLedger>()

/** The process's ledger for this database; the services of its first caller report progress. */
function ledgerOf(services: Services): DeliveryLedger {
  let ledger = ledgers.get(services.db)
  if (!ledger) {
    ledger = new DeliveryLedger(services)
    ledgers.set(services.db, ledger)
  }
  return ledger
}

/**
 * Send bookkeeping of notices (ref "delivery:<id>"), run by the bot process around each say:
 * - before: take the delivery (pending/sending → sending, attempts + 1) or skip the message when
 *   it was already sent, given up, its notice cancelled or the bot removed from the room. This
 *   check of the row, not Redis, is what keeps a re-queued delivery from being said twice.
 * - after: sent, with the time, written behind in batches; then progress (tier line, the one
 *   final summary).
 * - failed: retries exhausted, failed with the error.
 * - settle: the sends not yet written, written (the bot stopping).
 */
export const broadcastOutbound: OutboundHookTable = {
  delivery: {
    async before(services, msg, refId) {
      const id = deliveryId(refId)
      if (id === undefined) {
        services.log.error({ ref: msg.ref, room: msg.roomId }, 'bad delivery ref: not sent')
        return 'skip'
      }
      const gate = await ledgerOf(services).gate(id)
      if (gate.say) return 'say'
      services.log.info({ delivery: id, room: msg.roomId, why: gate.why }, 'delivery not said')
      if (gate.changed)
        await reportProgressSafely(services, gate.changed.noticeId, gate.changed.tier)
      return 'skip'
    },
    async after(services, _msg, refId) {
      const id = deliveryId(refId)
      if (id !== undefined) ledgerOf(services).said(id)
    },
    async failed(services, msg, refId, error) {
      const id = deliveryId(refId)
      if (id === undefined) return
      services.log.error({ delivery: id, room: msg.roomId, error }, 'delivery failed for good')
      const ref = await markFailed(services.db, id, error)
      if (ref) await reportProgressSafely(services, ref.noticeId, ref.tier)
    },
    async settle(services) {
      await ledgers.get(services.db)?.settle()
    },
  },
}
