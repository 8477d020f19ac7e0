import type { OutboundMessage } from '../queues/outbound-message.ts'
import type { Services } from '../runtime/services.ts'

/**
 * Domain bookkeeping around a send, chosen by the message's `ref` ("delivery:42" → the
 * 'delivery' hooks). The send worker itself knows nothing of deliveries or orders.
 */
export interface OutboundHooks {
  /** Before saying; 'skip' drops the message (e.g. its delivery was already sent). */
  before?(
    services: Services,
    msg: OutboundMessage,
    refId: string,
    sender: Sender,
  ): Promise<'say' | 'skip'>
  /** After the puppet said it. Must not throw: the message is out, a retry would say it twice. */
  after?(services: Services, msg: OutboundMessage, refId: string): Promise<void>
  /** It will never be said: retries exhausted or the payload was refused. */
  failed?(services: Services, msg: OutboundMessage, refId: string, error: string): Promise<void>
  /**
   * Writes what `after` held back to write in batches; the bot calls it once its send worker has
   * stopped, so nothing said stays unrecorded at a clean shutdown.
   */
  settle?(services: Services): Promise<void>
}

/** The account about to say a message, as its hooks see it. */
export interface Sender {
  account: string
  /**
   * Refs of the next `n` messages this account says right after this one (the rest of its page,
   * when it came in one). Lets a hook prepare their bookkeeping in one go instead of one round
   * trip each.
   */
  upcoming(n: number): string[]
}

export type OutboundHookTable = Readonly<Record<string, OutboundHooks>>

/** Splits "delivery:42" into the hooks for 'delivery' and the id "42". */
export function hooksFor(
  table: OutboundHookTable,
  ref: string | undefined,
): { hooks: OutboundHooks; refId: string } | undefined {
  if (!ref) return undefined
  const at = ref.indexOf(':')
  if (at <= 0) return undefined
  const hooks = table[ref.slice(0, at)]
  return hooks ? { hooks, refId: ref.slice(at + 1) } : undefined
}
