import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterEach, beforeAll } from 'vitest'
import { createLogger, type Logger } from '../../core/logger.ts'
import { createRedis, redisAnswers } from '../../queues/connection.ts'
import { createSendQueue, type SendQueue, type SendQueueOptions } from '../../queues/send-queue.ts'
import {
  createSendWorker,
  type SendWorker,
  type SendWorkerOptions,
} from '../../queues/send-worker.ts'
import { redisUrl } from './redis.ts'

export interface SendQueueHarness {
  /** This file's queue prefix, used by nothing else. */
  prefix: string
  log: Logger
  /** The file's connection, from beforeAll on. */
  readonly redis: Redis
  /** A send queue on the file's prefix; obliterated and closed after each test. */
  queue(account: string, extra?: Partial<SendQueueOptions>): SendQueue
  /** A send worker on the file's prefix; closed after each test, before the queues. */
  worker(opts: Omit<SendWorkerOptions, 'connection' | 'prefix' | 'log'>): SendWorker
  /** Quits the connection: the file's afterAll calls it after checking what was left behind. */
  close(): Promise<void>
}

/**
 * Send queues and workers of one test file on the test Redis, under a prefix of its own (as
 * BullMQ's tests do). Call at the top of the file: it registers beforeAll (connect, failing when
 * Redis does not answer) and afterEach (close the workers, obliterate the queues).
 */
export function useSendQueues(): SendQueueHarness {
  const prefix = `qqt-${randomBytes(4).toString('hex')}`
  const log = createLogger({ logLevel: 'silent' })
  const queues: SendQueue[] = []
  const workers: SendWorker[] = []
  let redis: Redis | undefined
  const connection = () => {
    if (!redis) throw new Error('no Redis connection before beforeAll')
    return redis
  }

  beforeAll(async () => {
    const url = redisUrl()
    if (!(await redisAnswers(url))) throw new Error(`Redis must answer at ${url}`)
    redis = createRedis(url)
  })

  afterEach(async () => {
    for (const w of workers.splice(0)) await w.close()
    for (const q of queues.splice(0)) {
      // The limiter key carries a TTL and is not one of the keys obliterate() removes.
      await q.removeRateLimitKey()
      await q.obliterate({ force: true })
      await q.close()
    }
    // The accounts' pacing state (queues/pacing-store.ts) outlives a queue by design.
    const pacing = await connection().keys(`${prefix}:*:pacing-*`)
    if (pacing.length > 0) await connection().del(...pacing)
  })

  return {
    prefix,
    log,
    get redis() {
      return connection()
    },
    queue(account, extra = {}) {
      const queue = createSendQueue({ connection: connection(), prefix, account, ...extra })
      queues.push(queue)
      return queue
    },
    worker(opts) {
      const worker = createSendWorker({ connection: connection(), prefix, log, ...opts })
      workers.push(worker)
      return worker
    },
    async close() {
      await redis?.quit()
    },
  }
}

/** Polls `ok` every 10 ms; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
