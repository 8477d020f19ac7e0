import { eq } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { botAccounts, groups } from '../db/schema/network.ts'
import type { RedisClient } from './connection.ts'
import type { OutboundMessage } from './outbound-message.ts'
import type { SendQueue } from './send-queue.ts'
import { SendQueues } from './send-queues.ts'

export type Say = Omit<OutboundMessage, 'roomId'>

/**
 * Says things into rooms from any process: it only queues on the room's bot account send queue,
 * and the process holding that account's puppet does the saying, paced.
 */
export class Messenger {
  /** Every account's send queue, as this process adds to them. */
  readonly queues: SendQueues

  constructor(
    private readonly db: Db,
    connection: RedisClient,
    prefix: string,
  ) {
    this.queues = new SendQueues(connection, prefix)
  }

  queueOf(account: string): SendQueue {
    return this.queues.of(account)
  }

  /** Queues on a known account; `jobId` makes a repeated call a no-op. */
  async toRoom(account: string, roomId: string, msg: Say, jobId?: string): Promise<void> {
    await this.queues.say(account, { ...msg, roomId }, jobId)
  }

  /** Queues into a group's room; false when the group has no bound room or no account yet. */
  async toGroup(groupId: number, msg: Say, jobId?: string): Promise<boolean> {
    const [row] = await this.db
      .select({ roomId: groups.roomId, account: botAccounts.name, active: groups.active })
      .from(groups)
      .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
      .where(eq(groups.id, groupId))
    if (!row?.roomId || !row.active) return false
    await this.toRoom(row.account, row.roomId, msg, jobId)
    return true
  }

  async close(): Promise<void> {
    await this.queues.close()
  }
}
