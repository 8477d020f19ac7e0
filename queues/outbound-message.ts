import { z } from 'zod'

/**
 * One message an account's send worker says into one room. Replies answer a resident, dispatches
 * reach grid workers, notices come down the five tiers (tier 1 = district, 5 = building).
 * Parsed again by the worker: data read back from Redis is as untrusted as data from a chat.
 */
export const OutboundMessageSchema = z.object({
  roomId: z.string().min(1).max(200),
  // WeChat cuts text messages past a few thousand characters; long notices are split upstream.
  text: z.string().min(1).max(4_000),
  kind: z.enum(['reply', 'dispatch', 'notice']),
  tier: z.number().int().min(1).max(5).optional(),
  // What the message is about (delivery, order, …), for logs and for the caller's bookkeeping.
  ref: z.string().min(1).max(200).optional(),
})

export type OutboundMessage = z.infer<typeof OutboundMessageSchema>
export type OutboundKind = OutboundMessage['kind']

/**
 * BullMQ priority (1 is served first): replies to residents, then dispatches to workers, then
 * notices by tier so a district notice overtakes a building one. A notice without a tier goes
 * last. Every job gets a priority, so all of them share BullMQ's one prioritized set and jobs of
 * equal priority keep their FIFO order.
 */
export function priorityOf(msg: Pick<OutboundMessage, 'kind' | 'tier'>): number {
  switch (msg.kind) {
    case 'reply':
      return 1
    case 'dispatch':
      return 2
    case 'notice':
      return 2 + (msg.tier ?? 6)
  }
}
