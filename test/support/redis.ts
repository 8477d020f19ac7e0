import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import {
  createRedis,
  type RedisClient,
  type RedisTarget,
  redisMasters,
} from '../../queues/connection.ts'

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
}

/** Listens on `port` of 127.0.0.1 (0: any) and lets go; the port it got, or undefined if taken. */
async function tryPort(port: number): Promise<number | undefined> {
  const server = createServer()
  const got = await new Promise<number | undefined>((resolve) => {
    server.once('error', () => resolve(undefined))
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
  })
  if (got !== undefined) await new Promise((r) => server.close(r))
  return got
}

/** A TCP port on 127.0.0.1 nobody listens on, for a redis-server of a test's own. */
export async function freePort(): Promise<number> {
  return (await tryPort(0))!
}

export async function portIsFree(port: number): Promise<boolean> {
  return (await tryPort(port)) !== undefined
}

/** A connection and a queue prefix no other test file uses; `close` deletes the prefix's keys. */
export interface TestRedis {
  connection: RedisClient
  prefix: string
  close(): Promise<void>
}

export async function createTestRedis(target: RedisTarget = redisUrl()): Promise<TestRedis> {
  const connection = createRedis(target)
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

/**
 * Every key under a queue prefix, per server: each master of a cluster scanned on its own (a SCAN
 * sees one node's keys).
 */
export async function keysUnder(connection: RedisClient, prefix: string): Promise<string[][]> {
  if (connection.status !== 'ready') await connection.ping()
  return Promise.all(
    redisMasters(connection).map(async (node) => {
      const found: string[] = []
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
        found.push(...keys)
        cursor = next
      } while (cursor !== '0')
      return found
    }),
  )
}

/** Deletes every key under a queue prefix, one key per DEL: keys of different slots cannot share one. */
export async function deleteKeysUnder(connection: RedisClient, prefix: string): Promise<void> {
  for (const keys of await keysUnder(connection, prefix)) {
    await Promise.all(keys.map((key) => connection.del(key)))
  }
}
