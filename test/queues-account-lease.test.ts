import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccountLease } from '../queues/account-lease.ts'
import { SendLog } from '../queues/pacing.ts'
import { PacingStore } from '../queues/pacing-store.ts'
import { sendQueueName } from '../queues/send-queue.ts'
import { createTestRedis, type TestRedis } from './support/redis.ts'

let redis: TestRedis
beforeAll(async () => {
  redis = await createTestRedis()
})
afterAll(async () => {
  await redis?.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('AccountLease: one owner per account', () => {
  it('a second process is told who holds it; the owner renews; only the owner releases', async () => {
    const owner = new AccountLease(redis.connection, redis.prefix, 'bot-a', 300)
    const other = new AccountLease(redis.connection, redis.prefix, 'bot-a', 300)
    expect(await owner.acquire()).toEqual({ owned: true })
    expect(await other.acquire()).toEqual({ owned: false, holder: owner.token })
    expect(owner.token).toContain(`:${process.pid}:`)
    owner.keep(() => {
      throw new Error('the owner must not lose a lease it renews')
    })
    await sleep(700) // more than twice the lease: alive only because it is renewed
    expect(await other.acquire()).toMatchObject({ owned: false })
    // A release by a process that does not own it deletes nothing.
    await other.release()
    expect(await redis.connection.get(owner.key)).toBe(owner.token)
    await owner.release()
    expect(await redis.connection.get(owner.key)).toBeNull()
    expect(await other.acquire()).toEqual({ owned: true })
    await other.release()
  })

  it('a dead owner’s lease expires and another process takes it; the old one hears it lost it', async () => {
    const dead = new AccountLease(redis.connection, redis.prefix, 'bot-b', 200)
    const next = new AccountLease(redis.connection, redis.prefix, 'bot-b', 200)
    expect(await dead.acquire()).toEqual({ owned: true })
    await sleep(250) // never renewed: as a process killed with SIGKILL
    expect(await next.acquire()).toEqual({ owned: true })
    let lost = false
    dead.keep(() => {
      lost = true
    })
    await sleep(150)
    expect(lost).toBe(true)
    // Its release leaves the new owner's lease alone.
    await dead.release()
    expect(await redis.connection.get(next.key)).toBe(next.token)
    await next.release()
  })
})

describe('PacingStore: pacing survives a takeover', () => {
  const rules = { perMinute: 3, minGapMs: 1_000, jitterMs: 0, roomGapMs: 5_000 }

  it('the next owner’s first slot honours the dead owner’s window, gap and room gap', async () => {
    const store = new PacingStore(redis.connection, redis.prefix, 'bot-c')
    const before = new SendLog(rules)
    const t0 = Date.now()
    for (const [i, room] of ['r1', 'r2', 'r3'].entries()) {
      before.record(room, t0 + i)
      await store.add(before, room, t0 + i)
    }
    const after = new SendLog(rules)
    after.restore(await store.load(after))
    const slot = after.slot('r3', t0 + 10, () => 0)
    // Three sends in the window already: the fourth waits for the first to leave it (60 s).
    expect(slot.accountAt).toBe(t0 + 60_000)
    expect(slot.roomAt).toBe(t0 + 2 + 5_000)
    // A fresh log, as before pacing was kept, would have sent at once.
    expect(new SendLog(rules).slot('r3', t0 + 10, () => 0).at).toBe(t0 + 10)
    await redis.connection.del(
      `${redis.prefix}:${sendQueueName('bot-c')}:pacing-sends`,
      `${redis.prefix}:${sendQueueName('bot-c')}:pacing-rooms`,
    )
  })
})
