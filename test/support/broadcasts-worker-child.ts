/**
 * A broadcast worker in a process of its own, for the tests that SIGKILL it mid fan-out: like
 * `quanqun worker`, plus the knobs the tests need (a short lock so another worker takes the
 * killed one's job over quickly, and a tier at which it announces itself and stops moving, so the
 * kill lands between two tiers every time rather than by luck).
 *
 * Env (this is an entry point): DATABASE_URL, REDIS_URL, QUEUE_PREFIX, HANG_AT_TIER, LOCK_MS,
 * STALLED_MS; ORDERS=1 runs the order workers too, the whole `worker` role; HANG_ONCE_KEY, a Redis
 * key: of several such processes only the first to reach the tier (the one that sets the key)
 * stops there, so the one that takes its job over goes on.
 */
import { destination, pino } from 'pino'
import { runBroadcastWorkers } from '../../broadcasts/workers.ts'
import { openDatabase } from '../../db/client.ts'
import { startOrderWorkers } from '../../orders/workers.ts'
import { createRedis } from '../../queues/connection.ts'
import { testServices } from './sample-services.ts'

const env = process.env
const database = openDatabase({ url: env.DATABASE_URL!, max: 2 })
const connection = createRedis(env.REDIS_URL!)
const prefix = env.QUEUE_PREFIX!
const hangAt = Number(env.HANG_AT_TIER ?? 0)
const hangOnce = env.HANG_ONCE_KEY
// Logs to stderr: stdout carries the events the test waits for.
const services = testServices(database.db, connection, prefix, {
  log: pino({ level: env.TEST_LOG_LEVEL ?? 'silent' }, destination(2)),
})

const hangs = async () =>
  hangOnce === undefined || (await connection.set(hangOnce, String(process.pid), 'NX')) === 'OK'

await runBroadcastWorkers(services, {
  reconcile: false,
  fanout: {
    lockDurationMs: Number(env.LOCK_MS ?? 30_000),
    // Every worker of a queue should share it: the last check's key holds off other workers'.
    stalledIntervalMs: Number(env.STALLED_MS ?? 30_000),
    onTierQueued: async ({ noticeId, tier, queued }) => {
      process.stdout.write(`${JSON.stringify({ event: 'tier', noticeId, tier, queued })}\n`)
      if (tier !== hangAt || !(await hangs())) return
      process.stdout.write(`${JSON.stringify({ event: 'hang', noticeId, tier })}\n`)
      // Holds the fan-out job (and its lock renewals) until the test kills this process.
      await new Promise(() => {})
    },
  },
})
if (env.ORDERS === '1') await startOrderWorkers(services)
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`)
