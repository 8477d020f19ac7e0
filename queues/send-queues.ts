import type { DefaultJobOptions } from 'bullmq'
import { Batcher } from '../core/batcher.ts'
import type { RedisClient } from './connection.ts'
import type { OutboundMessage } from './outbound-message.ts'
import { createSendQueue, enqueueSayBulk, type SayRequest, type SendQueue } from './send-queue.ts'

interface AccountQueue {
  queue: SendQueue
  /** The says waiting for the account's add in flight to return. */
  saying: Batcher<SayRequest, void>
}

/**
 * The producer side of every account's send queue, one per account, made on first use. The
 * Messenger holds one; the broadcast workers hold their own, so tests can shorten the send backoff
 * of notices only (`jobOptions`).
 */
export class SendQueues {
  private readonly accounts = new Map<string, AccountQueue>()

  constructor(
    private readonly connection: RedisClient,
    private readonly prefix: string,
    /** Merged over send-options.ts for every job added here. */
    private readonly jobOptions?: DefaultJobOptions,
  ) {}

  of(account: string): SendQueue {
    return this.entry(account).queue
  }

  /**
   * enqueueSay for callers that need no job back (replies, notices): the says queued on one account
   * while its previous round trip is out go to Redis together, in one write. A bad message fails
   * only its caller, with the same TypeError.
   */
  async say(account: string, msg: OutboundMessage, jobId?: string): Promise<void> {
    await this.entry(account).saying.load(jobId === undefined ? { msg } : { msg, jobId })
  }

  async close(): Promise<void> {
    const all = [...this.accounts.values()]
    this.accounts.clear()
    await Promise.all(all.map((a) => a.queue.close()))
  }

  private entry(account: string): AccountQueue {
    let found = this.accounts.get(account)
    if (!found) {
      const queue = createSendQueue({
        connection: this.connection,
        prefix: this.prefix,
        account,
        ...(this.jobOptions ? { jobOptions: this.jobOptions } : {}),
      })
      const saying = new Batcher<SayRequest, void>(async (requests) => {
        await enqueueSayBulk(queue, requests)
        return new Map()
      })
      found = { queue, saying }
      this.accounts.set(account, found)
    }
    return found
  }
}
