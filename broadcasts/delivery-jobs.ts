/**
 * A notice's deliveries as send jobs: the ref each message carries for the send hooks, the job ids
 * that make a re-queue collapse, and the pages of up to PAGE_MAX rooms queued on each account.
 */
import { PAGE_MAX } from '../queues/outbound-message.ts'
import { readSendRef, sendRef } from '../queues/send-hooks.ts'
import { enqueuePageBulk, type PageRequest } from '../queues/send-queue.ts'
import type { SendQueues } from '../queues/send-queues.ts'
import { chunk, groupBy } from './audience.ts'
import type { Sendable } from './delivery-store.ts'

/** Pages queued together: ~500 sends, ~50 KB, one Redis round trip that does not stall Redis. */
const PAGES_PER_BULK = 5

/** The kind of message a notice's delivery is, for the send hooks (delivery-ledger.ts). */
export const DELIVERY_REF = 'delivery'

export function deliveryRef(id: number): string {
  return sendRef(DELIVERY_REF, id)
}

/**
 * "d-42", the job a delivery gets when it is sent alone: a room of a page whose say failed is
 * retried under it (queues/send-worker.ts), so it has at most one such job in Redis at a time.
 */
export function deliveryJobId(id: number): string {
  return `d-${id}`
}

/**
 * "p-40-97-50": a page of deliveries on one account by its first and last id and its size. The
 * fan-out, a re-run of it and the reconciler page the same pending rows the same way, so a page
 * queued twice collapses into one job; pages that overlap are harmless (the send hook's check of
 * each delivery row keeps a room from being said twice).
 */
export function deliveryPageId(ids: readonly number[], resends = 0): string {
  const page = `p-${ids[0]}-${ids[ids.length - 1]}-${ids.length}`
  // A resent delivery's earlier page may still be kept in Redis: a new id, or the add collapses.
  return resends > 0 ? `${page}-r${resends}` : page
}

/** The delivery id in a ref id ("42") or a job id ("d-42"), if it is one a row can have. */
export function deliveryIdOf(text: string): number | undefined {
  const digits = text.startsWith('d-') ? text.slice(2) : text
  if (!/^[1-9][0-9]{0,9}$/.test(digits)) return undefined
  const id = Number(digits)
  return id <= 2_147_483_647 ? id : undefined
}

/** The delivery id in a whole ref ("delivery:42"); undefined for any other ref. */
export function deliveryIdOfRef(ref: string): number | undefined {
  const read = readSendRef(ref)
  return read?.kind === DELIVERY_REF ? deliveryIdOf(read.id) : undefined
}

/**
 * Queues sends as pages on each account's queue, accounts in parallel, the tier setting the
 * priority (upper tiers first). Rows must be in the order they should go out; returns how many
 * were queued.
 */
export async function enqueueDeliveries(
  queues: SendQueues,
  rows: readonly Sendable[],
  text: string,
): Promise<number> {
  // One page holds one account's rooms of one tier (its priority). Accounts in parallel (each its
  // own queue, its own worker waiting), pages of one account in order, so each account's rooms
  // are queued in the order given.
  await Promise.all(
    [...groupBy(rows, (r) => `${r.tier}:${r.account}:${r.resends ?? 0}`).values()].map(
      async (list) => {
        const { account, tier, resends } = list[0]!
        const pages: PageRequest[] = chunk(list, PAGE_MAX).map((part) => ({
          page: {
            text,
            kind: 'notice',
            tier,
            to: part.map((r) => ({
              roomId: r.roomId,
              ref: deliveryRef(r.id),
              jobId: deliveryJobId(r.id),
            })),
          },
          jobId: deliveryPageId(
            part.map((r) => r.id),
            resends,
          ),
        }))
        for (const bulk of chunk(pages, PAGES_PER_BULK)) {
          await enqueuePageBulk(queues.of(account), bulk)
        }
      },
    ),
  )
  return rows.length
}
