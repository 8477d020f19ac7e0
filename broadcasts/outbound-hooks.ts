import type { OutboundHookTable } from '../bot/outbound-hooks.ts'
import { beginSend, markFailed, markSent } from './delivery-store.ts'
import { reportProgressSafely } from './progress.ts'

function deliveryId(refId: string): number | undefined {
  const id = Number(refId)
  return Number.isSafeInteger(id) && id > 0 ? id : undefined
}

/**
 * Send bookkeeping of notices (ref "delivery:<id>"), run by the bot process around each say:
 * - before: take the delivery (pending/sending → sending, attempts + 1) or skip the message when
 *   it was already sent, given up, its notice cancelled or the bot removed from the room. This
 *   check of the row, not Redis, is what keeps a re-queued delivery from being said twice.
 * - after: sent, with the time; then progress (tier line, the one final summary).
 * - failed: retries exhausted, failed with the error.
 */
export const broadcastOutbound: OutboundHookTable = {
  delivery: {
    async before(services, msg, refId) {
      const id = deliveryId(refId)
      if (id === undefined) {
        services.log.error({ ref: msg.ref, room: msg.roomId }, 'bad delivery ref: not sent')
        return 'skip'
      }
      const gate = await beginSend(services.db, id)
      if (gate.say) return 'say'
      services.log.info({ delivery: id, room: msg.roomId, why: gate.why }, 'delivery not said')
      if (gate.changed)
        await reportProgressSafely(services, gate.changed.noticeId, gate.changed.tier)
      return 'skip'
    },
    async after(services, msg, refId) {
      const id = deliveryId(refId)
      if (id === undefined) return
      const ref = await markSent(services.db, id)
      if (ref) await reportProgressSafely(services, ref.noticeId, ref.tier)
      else services.log.warn({ delivery: id, room: msg.roomId }, 'delivery said but already sent')
    },
    async failed(services, msg, refId, error) {
      const id = deliveryId(refId)
      if (id === undefined) return
      services.log.error({ delivery: id, room: msg.roomId, error }, 'delivery failed for good')
      const ref = await markFailed(services.db, id, error)
      if (ref) await reportProgressSafely(services, ref.noticeId, ref.tier)
    },
  },
}
