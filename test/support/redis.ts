import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { createRedis } from '../../queues/connection.ts'

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
}

/** A connection and a queue prefix no other test file uses; `close` deletes the prefix's keys. */
export interface TestRedis {
  connection: Redis
  prefix: string
  close(): Promise<void>
}

export async function createTestRedis(url = redisUrl()): Promise<TestRedis> {
  const connection = createRedis(url)
  const prefix = `qqt-${randomBytes(5).toString('hex')}`
  return {
    connection,
    prefix,
    async close() {
      await deleteKeysUnder(connection, prefix)
      await connection.quit()
    },
  }
}

/** Deletes every key under a queue prefix. */
export async function deleteKeysUnder(connection: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    if (keys.length > 0) await connection.del(...keys)
    cursor = next
  } while (cursor !== '0')
}
