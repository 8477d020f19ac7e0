import type { DefaultJobOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import { createSendQueue, type SendQueue } from '../queues/send-queue.ts'

/**
 * The producer side of every account's send queue, as the fan-out and the reconciler use them.
 * Kept apart from the Messenger's so tests can shorten the send backoff of notices only.
 */
export class SendQueues {
  private readonly queues = new Map<string, SendQueue>()

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly jobOptions?: DefaultJobOptions,
  ) {}

  of(account: string): SendQueue {
    let queue = this.queues.get(account)
    if (!queue) {
      queue = createSendQueue({
        connection: this.connection,
        prefix: this.prefix,
        account,
        ...(this.jobOptions ? { jobOptions: this.jobOptions } : {}),
      })
      this.queues.set(account, queue)
    }
    return queue
  }

  async close(): Promise<void> {
    const all = [...this.queues.values()]
    this.queues.clear()
    await Promise.all(all.map((q) => q.close()))
  }
}
