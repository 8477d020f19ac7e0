import type { RedisClient } from './connection.ts'
import type { PacingSnapshot, SendLog } from './pacing.ts'
import { sendQueueName } from './send-queue.ts'

/**
 * An account's pacing state in Redis, so that a process taking an account over (its owner died,
 * queues/account-lease.ts) does not start from an empty history and send a window's worth at once.
 * Sends are written as they are recorded, gathered for FLUSH_MS into one MULTI (a sorted set of
 * send times trimmed to the cap, a hash of rooms' last sends): one write a send cost a third of a
 * district's fan-out time (bench fan-out, 1.7 → 2.8 s). Read once when the send worker starts;
 * both keys expire once no limit would look at them. The sends of the last FLUSH_MS before its
 * owner died are what a successor can miss: a lease outlives them many times over.
 */
/** How long sends are gathered before one write. */
const FLUSH_MS = 100

export class PacingStore {
  private readonly sendsKey: string
  private readonly roomsKey: string
  private seq = 0
  private pending: { roomId: string; at: number }[] = []
  private flushing: Promise<void> | undefined

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

  /**
   * Adds one send to the next write; resolves once it is written (the sender does not wait: the
   * promise is for tests and shutdown).
   */
  add(log: SendLog, roomId: string, at: number): Promise<void> {
    this.pending.push({ roomId, at })
    this.flushing ??= new Promise<void>((resolve) => setTimeout(resolve, FLUSH_MS)).then(() =>
      this.write(log),
    )
    return this.flushing
  }

  private async write(log: SendLog): Promise<void> {
    const batch = this.pending
    this.pending = []
    this.flushing = undefined
    const ttl = log.memoryMs
    const scored = batch.flatMap(({ at }) => [at, `${at}:${process.pid}:${this.seq++}`])
    const rooms = batch.flatMap(({ roomId, at }) => [roomId, at])
    await this.connection
      .multi()
      .zadd(this.sendsKey, ...scored)
      .zremrangebyrank(this.sendsKey, 0, -(log.keeps + 1))
      .pexpire(this.sendsKey, ttl)
      .hset(this.roomsKey, ...rooms)
      .pexpire(this.roomsKey, ttl)
      .exec()
  }
}
