import type { RedisClient } from './connection.ts'
import type { PacingSnapshot, SendLog } from './pacing.ts'
import { sendQueueName } from './send-queue.ts'

/**
 * An account's pacing state in Redis, so that a process taking an account over (its owner died,
 * queues/account-lease.ts) does not start from an empty history and send a window's worth at once.
 * Each send is added as it is recorded (a sorted set of send times trimmed to the cap, a hash of
 * rooms' last sends), read once when the send worker starts; both expire once no limit would look
 * at them. A send said and not yet written when its owner died is the one thing it can miss.
 */
export class PacingStore {
  private readonly sendsKey: string
  private readonly roomsKey: string
  private seq = 0

  constructor(
    private readonly connection: RedisClient,
    prefix: string,
    account: string,
  ) {
    // The account queue's hash tag: one MULTI writes both keys, so on a Redis Cluster they must
    // share a slot (the queue's, as its own keys do).
    const tag = sendQueueName(account)
    this.sendsKey = `${prefix}:${tag}:pacing-sends`
    this.roomsKey = `${prefix}:${tag}:pacing-rooms`
  }

  async load(log: SendLog): Promise<PacingSnapshot> {
    const [sends, rooms] = await Promise.all([
      this.connection.zrange(this.sendsKey, 0, -1, 'WITHSCORES'),
      this.connection.hgetall(this.roomsKey),
    ])
    const since = Date.now() - log.memoryMs
    const times: number[] = []
    for (let i = 1; i < sends.length; i += 2) times.push(Number(sends[i]))
    return {
      sends: times.filter((t) => Number.isFinite(t) && t >= since),
      rooms: Object.entries(rooms)
        .map(([room, at]): [string, number] => [room, Number(at)])
        .filter(([, at]) => Number.isFinite(at) && at >= since),
    }
  }

  /** Adds one send; not awaited by the sender (commands on one connection keep their order). */
  async add(log: SendLog, roomId: string, at: number): Promise<void> {
    const ttl = log.memoryMs
    await this.connection
      .multi()
      .zadd(this.sendsKey, at, `${at}:${process.pid}:${this.seq++}`)
      .zremrangebyrank(this.sendsKey, 0, -(log.keeps + 1))
      .pexpire(this.sendsKey, ttl)
      .hset(this.roomsKey, roomId, at)
      .pexpire(this.roomsKey, ttl)
      .exec()
  }
}
