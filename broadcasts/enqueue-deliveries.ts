import { enqueueSayBulk } from '../queues/send-queue.ts'
import { chunk } from './audience.ts'
import type { Sendable } from './delivery-store.ts'
import type { SendQueues } from './send-queues.ts'

/** Jobs per addBulk: one Redis round trip each, small enough not to stall Redis (~500 × 1 KB). */
export const SEND_BULK = 500

/** The ref the send hooks key on ("delivery:42" → broadcasts/outbound-hooks.ts). */
export function deliveryRef(id: number): string {
  return `delivery:${id}`
}

/**
 * "d-42": the fan-out, a re-run of it and the reconciler all add the same id, so a delivery has at
 * most one send job in Redis at a time. (After the job is removed the id is free again; the send
 * hook's check of the delivery row is what keeps a sent notice from going out twice.)
 */
export function deliveryJobId(id: number): string {
  return `d-${id}`
}

/** The delivery id in a ref id ("42") or a job id ("d-42"), if it is one a row can have. */
export function deliveryIdOf(text: string): number | undefined {
  const digits = text.startsWith('d-') ? text.slice(2) : text
  if (!/^[1-9][0-9]{0,9}$/.test(digits)) return undefined
  const id = Number(digits)
  return id <= 2_147_483_647 ? id : undefined
}

/**
 * Queues sends on each account's queue in bulk, accounts in parallel, the notice's tier setting
 * the priority (upper tiers first). Rows must be in the order they should go out; returns how many were queued.
 */
export async function enqueueDeliveries(
  queues: SendQueues,
  rows: readonly Sendable[],
  text: string,
): Promise<number> {
  const byAccount = new Map<string, Sendable[]>()
  for (const row of rows) {
    const list = byAccount.get(row.account)
    if (list) list.push(row)
    else byAccount.set(row.account, [row])
  }
  // Accounts in parallel (each its own queue, its own worker waiting), chunks of one account in
  // order, so each account's rooms are queued in the order given.
  await Promise.all(
    [...byAccount].map(async ([account, list]) => {
      for (const part of chunk(list, SEND_BULK)) {
        await enqueueSayBulk(
          queues.of(account),
          part.map((r) => ({
            msg: { roomId: r.roomId, text, kind: 'notice', tier: r.tier, ref: deliveryRef(r.id) },
            jobId: deliveryJobId(r.id),
          })),
        )
      }
    }),
  )
  return rows.length
}
