/**
 * The bots of the sample district in a process of their own, for the test that SIGKILLs them
 * after their says and before the sends are written: like `quanqun bot`, on mock puppets, printing
 * every line a bot says (one JSON line each) so the test knows what the dead process said.
 *
 * Env (this is an entry point): DATABASE_URL, REDIS_URL, QUEUE_PREFIX; LOCK_MS and STALLED_MS
 * (see queues/takeover.ts); HOLD_AFTER=n: every say after the first n never returns, as in a
 * process that hangs, or dies, in the middle of a page.
 */
import { destination, pino } from 'pino'
import { botWiring } from '../../app/bot-wiring.ts'
import { startBots } from '../../bot/bot-fleet.ts'
import { MockNetwork } from '../../bot/mock-network.ts'
import { MOCK_PUPPET } from '../../bot/puppet.ts'
import { until } from '../../core/until.ts'
import { openDatabase } from '../../db/client.ts'
import { countUnboundGroups } from '../../network/groups.ts'
import { createRedis } from '../../queues/connection.ts'
import { aroundPuppetSends } from './mock-sends.ts'
import { FAST_PACING } from './sample-district.ts'
import { testServices } from './sample-services.ts'

const env = process.env
const database = openDatabase({ url: env.DATABASE_URL!, max: 4 })
const connection = createRedis(env.REDIS_URL!)
// Logs to stderr: stdout carries the events the test waits for.
const services = testServices(database.db, connection, env.QUEUE_PREFIX!, {
  log: pino({ level: env.TEST_LOG_LEVEL ?? 'silent' }, destination(2)),
})
const network = await MockNetwork.build(database.db)
network.onSaid((s) => {
  if (s.fromBot) {
    process.stdout.write(`${JSON.stringify({ event: 'said', roomId: s.roomId, text: s.text })}\n`)
  }
})
if (env.HOLD_AFTER !== undefined) {
  let says = 0
  for (const account of network.accounts) {
    aroundPuppetSends(network, account.name, (_room, _text, say) =>
      ++says > Number(env.HOLD_AFTER) ? new Promise(() => {}) : say(),
    )
  }
}
await startBots({
  ...botWiring(services),
  services,
  puppetName: MOCK_PUPPET,
  pacing: FAST_PACING,
  accounts: network.accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
  takeover: {
    ...(env.LOCK_MS ? { lockDurationMs: Number(env.LOCK_MS) } : {}),
    ...(env.STALLED_MS ? { stalledIntervalMs: Number(env.STALLED_MS) } : {}),
  },
})
network.login()
await until(async () => (await countUnboundGroups(database.db)) === 0, 60_000)
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`)
