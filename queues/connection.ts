import { Redis } from 'ioredis'

/**
 * The Redis connection BullMQ queues and workers share. Workers block on Redis and must wait out a
 * reconnect instead of failing the command, hence `maxRetriesPerRequest: null` (BullMQ refuses a
 * worker connection without it).
 */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null })
}

/**
 * True when a Redis server answers PING at `url` within `timeoutMs`. Uses a throw-away connection
 * that neither queues commands nor retries, so a missing server is reported at once instead of
 * hanging: for tests and for `start` deciding whether to launch a local redis-server.
 */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  })
  // A refused connection is an answer ("no"), not an unhandled 'error' event.
  probe.on('error', () => {})
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}
