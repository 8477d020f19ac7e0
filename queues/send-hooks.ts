import type { Logger } from '../core/logger.ts'
import type { OutboundMessage } from './outbound-message.ts'
import { failureReason, type SendFailureReason } from './send-failures.ts'

/**
 * A domain's bookkeeping around the sends that concern it (a notice's delivery, an order's
 * dispatch). The send worker knows nothing of deliveries or orders: a message names what it is
 * about with `sendRef(kind, id)`, and `AroundSend` hands it to the hooks registered for that kind.
 */
export interface SendHooks {
  /** Before saying; 'skip' drops the message (e.g. its delivery was already sent). */
  before?(msg: OutboundMessage, id: string, sender: Sender): Promise<'say' | 'skip'>
  /**
   * After the puppet said it, with the platform's id of the message when the puppet gave one (what
   * a later 撤回 needs). Must not throw: the message is out, a retry would say it twice.
   */
  after?(msg: OutboundMessage, id: string, said: Said): Promise<void>
  /**
   * It will never be said: retries exhausted or the payload was refused. `reason` is the category
   * of the last error (failureReason): what may be stored and shown, unlike `error`, which may
   * carry SQL, parameters or a puppet's whole HTTP body and is for the log only.
   */
  failed?(
    msg: OutboundMessage,
    id: string,
    error: string,
    reason?: SendFailureReason,
  ): Promise<void>
  /**
   * Writes what `after` held back to write in batches; the bot calls it once its send workers
   * have stopped, so nothing said stays unrecorded at a clean shutdown.
   */
  settle?(): Promise<void>
}

/** What the puppet answered to a say. */
export interface Said {
  /** The platform's id of the message, when the puppet returns one (a real one does). */
  messageId?: string | undefined
}

/** The account about to say a message, as its hooks see it. */
export interface Sender {
  account: string
  /**
   * Ids of the next `n` messages of the same kind this account says right after this one (the
   * rest of its page, when it came in one). Lets a hook prepare their bookkeeping in one go
   * instead of one round trip each.
   */
  upcoming(n: number): string[]
}

/** The next (at most n) messages the same account says after this one, as far as it knows. */
export type Upcoming = (n: number) => readonly OutboundMessage[]

/** A kind of message: lower-case letters, so a ref's kind and id split without ambiguity. */
const KIND = /^[a-z]+$/

/** The `ref` of a message about object `id` of `kind`; the only place refs are written. */
export function sendRef(kind: string, id: string | number): string {
  if (!KIND.test(kind)) throw new TypeError(`send ref: bad kind ${JSON.stringify(kind)}`)
  return `${kind}:${id}`
}

/** Reads a ref written by `sendRef`; undefined for one that was not. */
export function readSendRef(ref: string | undefined): { kind: string; id: string } | undefined {
  if (!ref) return undefined
  const at = ref.indexOf(':')
  if (at <= 0) return undefined
  const kind = ref.slice(0, at)
  return KIND.test(kind) ? { kind, id: ref.slice(at + 1) } : undefined
}

/**
 * Every domain's send hooks, keyed by the kind of message they own, built once per process by
 * the top floor and shared by its bot accounts. Refuses a table with a bad kind at construction.
 */
export class AroundSend {
  constructor(
    private readonly table: Readonly<Record<string, SendHooks>>,
    private readonly log: Logger,
  ) {
    for (const kind of Object.keys(table)) {
      if (!KIND.test(kind)) throw new TypeError(`send hooks: bad kind ${JSON.stringify(kind)}`)
    }
  }

  private find(msg: OutboundMessage) {
    const ref = readSendRef(msg.ref)
    const hooks = ref && this.table[ref.kind]
    return ref && hooks ? { hooks, kind: ref.kind, id: ref.id } : undefined
  }

  /** before → say → after, for one message of `account`; `say` performs the send itself. */
  async say(
    msg: OutboundMessage,
    account: string,
    next: Upcoming,
    say: () => Promise<string | undefined>,
  ): Promise<void> {
    const found = this.find(msg)
    if (found?.hooks.before) {
      const sender: Sender = {
        account,
        upcoming: (n) =>
          next(n).flatMap((m) => {
            const ref = readSendRef(m.ref)
            return ref?.kind === found.kind ? [ref.id] : []
          }),
      }
      if ((await found.hooks.before(msg, found.id, sender)) === 'skip') return
    }
    const messageId = await say()
    await found?.hooks.after?.(msg, found.id, { messageId }).catch((error: unknown) => {
      this.log.error(
        { err: error, account, ref: msg.ref, room: msg.roomId },
        'after-send hook failed',
      )
    })
  }

  /** The message will never be said. Never rejects. */
  async gaveUp(msg: OutboundMessage, account: string, error: Error): Promise<void> {
    this.log.error({ err: error, account, ref: msg.ref, room: msg.roomId }, 'message given up')
    const found = this.find(msg)
    await found?.hooks
      .failed?.(msg, found.id, error.message, failureReason(error))
      .catch((e: unknown) => this.log.error({ err: e, ref: msg.ref }, 'failed hook failed'))
  }

  /** Writes what every domain held back; once the send workers have stopped. */
  async settle(): Promise<void> {
    for (const hooks of Object.values(this.table)) await hooks.settle?.()
  }
}
