/**
 * A broadcast worker in a process of its own, for the test that SIGKILLs it mid fan-out: like
 * `quanqun worker`, plus the knobs the test needs (a short lock so the restarted worker takes the
 * killed one's job over quickly, and a tier at which it announces itself and stops moving, so the
 * kill lands between two tiers every time rather than by luck).
 *
 * Env (this is an entry point): DATABASE_URL, REDIS_URL, QUEUE_PREFIX, HANG_AT_TIER, LOCK_MS,
 * STALLED_MS.
 */
import { destination, pino } from 'pino'
import { runBroadcastWorkers } from '../../broadcasts/workers.ts'
import { openDatabase } from '../../db/client.ts'
import { createRedis } from '../../queues/connection.ts'
import { testServices } from './sample-services.ts'

const env = process.env
const database = openDatabase({ url: env.DATABASE_URL!, max: 2 })
const connection = createRedis(env.REDIS_URL!)
const prefix = env.QUEUE_PREFIX!
const hangAt = Number(env.HANG_AT_TIER ?? 0)
// Logs to stderr: stdout carries the events the test waits for.
const services = testServices(database.db, connection, prefix, {
  log: pino({ level: env.TEST_LOG_LEVEL ?? 'silent' }, destination(2)),
})

await runBroadcastWorkers(services, {
  reconcile: false,
  fanout: {
    lockDurationMs: Number(env.LOCK_MS ?? 30_000),
    // Every worker of a queue should share it: the last check's key holds off other workers'.
    stalledIntervalMs: Number(env.STALLED_MS ?? 30_000),
    onTierQueued: async ({ noticeId, tier, queued }) => {
      process.stdout.write(`${JSON.stringify({ event: 'tier', noticeId, tier, queued })}\n`)
      // Holds the fan-out job (and its lock renewals) until the test kills this process.
      if (tier === hangAt) await new Promise(() => {})
    },
  },
})
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`)
