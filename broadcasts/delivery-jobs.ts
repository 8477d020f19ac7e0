/**
 * A notice's deliveries as send jobs: the ref each message carries for the send hooks, the job ids
 * that make a re-queue collapse, and the pages of up to PAGE_MAX rooms queued on each account.
 */
import { PAGE_MAX, type PageEntry, type PagePart } from '../queues/outbound-message.ts'
import { readSendRef, sendRef } from '../queues/send-hooks.ts'
import { enqueuePageBulk, type PageRequest } from '../queues/send-queue.ts'
import type { SendQueues } from '../queues/send-queues.ts'
import { chunk, groupBy } from './audience.ts'
import type { Sendable } from './delivery-store.ts'

/** Pages queued together: ~500 sends, ~50 KB, one Redis round trip that does not stall Redis. */
const PAGES_PER_BULK = 5

/** The kind of message a notice's delivery is, for the send hooks (delivery-ledger.ts). */
export const DELIVERY_REF = 'delivery'

/**
 * "delivery:42" for the group's text, "delivery:42.1" for its first attachment. A part's ref reads
 * as no delivery id (deliveryIdOf), so the claims ahead of the text path never take one: a part
 * has a gate of its own (DeliveryLedger).
 */
export function deliveryRef(id: number, part = 0): string {
  return sendRef(DELIVERY_REF, part === 0 ? id : `${id}.${part}`)
}

/** The delivery and part of a part's ref id ("42.1"); undefined for anything else. */
export function deliveryPartOf(refId: string): { id: number; part: number } | undefined {
  const m = /^([1-9][0-9]{0,9})\.([1-9])$/.exec(refId)
  if (!m) return undefined
  const id = Number(m[1])
  return id <= 2_147_483_647 ? { id, part: Number(m[2]) } : undefined
}

/**
 * "d-42", the job a delivery gets when it is sent alone: a room of a page whose say failed is
 * retried under it (queues/send-worker.ts), so it has at most one such job in Redis at a time.
 * "d-42-p1" for its first attachment: a group that had the text is retried for the picture only.
 */
export function deliveryJobId(id: number, part = 0): string {
  return part === 0 ? `d-${id}` : `d-${id}-p${part}`
}

/** What a notice says into each group: its text, then its attachments (part 1, 2, …). */
export interface NoticeContent {
  text: string
  parts?: readonly PagePart[] | undefined
}

/**
 * Rooms whose messages interleave in a page: the text of each, then the first attachment of each,
 * and so on. A room's next message waits the room gap (3 s) while the account may send every
 * 1.5–2.5 s: four rooms apart, a picture rarely has to wait for its room, and a group still gets
 * it seconds after its text (a page of texts first would hold a picture back for ~100 sends).
 */
const INTERLEAVE = 4

/**
 * A page's entries for `rows`, each from its first unsaid message on (`partsSaid`), in the order
 * above; the job ids let a failed message be retried alone.
 */
function entriesOf(rows: readonly Sendable[], parts: number): PageEntry[] {
  const entries: PageEntry[] = []
  for (const block of chunk(rows, INTERLEAVE)) {
    for (let part = 0; part <= parts; part++) {
      for (const r of block) {
        if (part < (r.partsSaid ?? 0)) continue
        entries.push({
          roomId: r.roomId,
          ref: deliveryRef(r.id, part),
          jobId: deliveryJobId(r.id, part),
          ...(part > 0 && { part }),
        })
      }
    }
  }
  return entries
}

/**
 * "p-40-97-50": a page of deliveries on one account by its first and last id and its size. The
 * fan-out, a re-run of it and the reconciler page the same pending rows the same way, so a page
 * queued twice collapses into one job; pages that overlap are harmless (the send hook's check of
 * each delivery row keeps a room from being said twice).
 */
export function deliveryPageId(ids: readonly number[], resends = 0, from = 0): string {
  const page = `p-${ids[0]}-${ids[ids.length - 1]}-${ids.length}`
  // A resent delivery's earlier page may still be kept in Redis: a new id, or the add collapses.
  // So may the page that said a group's text when its attachments are queued again (from > 0).
  return `${page}${resends > 0 ? `-r${resends}` : ''}${from > 0 ? `-f${from}` : ''}`
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
  content: NoticeContent,
): Promise<number> {
  const { text } = content
  const parts = content.parts?.length ? content.parts : undefined
  // Each room's messages from its first unsaid one, all in one page: a page's say order is theirs.
  const perRoom = (parts?.length ?? 0) + 1
  // One page holds one account's rooms of one tier (its priority). Accounts in parallel (each its
  // own queue, its own worker waiting), pages of one account in order, so each account's rooms
  // are queued in the order given.
  await Promise.all(
    [
      ...groupBy(
        rows,
        (r) => `${r.tier}:${r.account}:${r.resends ?? 0}:${Math.min(r.partsSaid ?? 0, perRoom)}`,
      ).values(),
    ].map(async (list) => {
      const { account, tier, resends, partsSaid: from = 0 } = list[0]!
      if (from >= perRoom) return
      const pages: PageRequest[] = chunk(list, Math.floor(PAGE_MAX / (perRoom - from))).map(
        (part) => ({
          page: {
            text,
            kind: 'notice',
            tier,
            ...(parts && { parts: [...parts] }),
            to: entriesOf(part, perRoom - 1),
          },
          jobId: deliveryPageId(
            part.map((r) => r.id),
            resends,
            from,
          ),
        }),
      )
      for (const bulk of chunk(pages, PAGES_PER_BULK)) {
        await enqueuePageBulk(queues.of(account), bulk)
      }
    }),
  )
  return rows.length
}
