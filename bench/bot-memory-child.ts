// One process, one measurement: all rooms of the generated district on mock puppets, either run by
// quanqun's bots ("quanqun") or by bare Wechaty instances that only log in and list rooms ("bare").
import { performance } from 'node:perf_hooks'
import { botWiring } from '../app/bot-wiring.ts'
import { startBots } from '../bot/bot-fleet.ts'
import { MockNetwork } from '../bot/mock-network.ts'
import { MOCK_PUPPET } from '../bot/puppet.ts'
import { tuneHeap } from '../core/heap.ts'
import { until } from '../core/until.ts'
import { openDatabase } from '../db/client.ts'
import { countUnboundGroups } from '../network/groups.ts'
import { createRedis } from '../queues/connection.ts'
import { deleteKeysUnder } from '../test/support/redis.ts'
import { testServices } from '../test/support/sample-services.ts'

const [mode = 'quanqun'] = process.argv.slice(2)
// quanqun's bots as `quanqun start` runs them (bin/quanqun.js); bare Wechaty as V8 has it.
if (mode === 'quanqun') tuneHeap()
const database = openDatabase({ url: process.env.BENCH_DATABASE_URL, max: 4 })
const connection = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const prefix = process.env.BENCH_PREFIX ?? 'qqbench'
const network = await MockNetwork.build(database.db)
let rooms = 0
let loginAt = 0
let stop: () => Promise<void>
if (mode === 'quanqun') {
  const services = testServices(database.db, connection, prefix)
  const bots = await startBots({
    ...botWiring(services),
    services,
    puppetName: MOCK_PUPPET,
    pacing: { perMinute: 30, minGapMs: 1500, jitterMs: 1000, roomGapMs: 3000, cooldownMs: 600_000 },
    accounts: network.accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
  })
  loginAt = performance.now()
  network.login()
  await until(async () => (await countUnboundGroups(database.db)) === 0, 300_000, 200)
  rooms = (await Promise.all(network.accounts.map((a) => a.wechaty.Room.findAll()))).flat().length
  stop = () => bots.stop()
} else {
  for (const a of network.accounts) await a.wechaty.start()
  loginAt = performance.now()
  network.login()
  const lists = await Promise.all(network.accounts.map((a) => a.wechaty.Room.findAll()))
  for (const list of lists) await Promise.all(list.map((r) => r.topic()))
  rooms = lists.flat().length
  stop = async () => {
    for (const a of network.accounts) await a.wechaty.stop()
  }
}
// Straight after start-up the V8 heap still holds the room sync's garbage as committed pages
// (heap total ~200 MB for ~75 MB live), and an idle process keeps them until its next full
// collections, which a bot's ordinary traffic brings within minutes. Both figures are printed:
// as it stands after start-up, and settled, after the same few full collections on both sides.
const registeredS = (performance.now() - loginAt) / 1000
const mb = (bytes: number) => bytes / 2 ** 20
const startupRssMB = mb(process.memoryUsage().rss)
const SETTLE_GCS = 5
for (let i = 0; i < SETTLE_GCS; i++) {
  global.gc?.()
  // V8's memory reducer returns pages between collections, not during one.
  await new Promise((resolve) => setTimeout(resolve, 2_000))
}
const { rss, heapUsed, heapTotal } = process.memoryUsage()
const result = {
  mode,
  rooms,
  registeredS,
  rssMB: mb(rss),
  startupRssMB,
  peakRssMB: process.resourceUsage().maxRSS / 1024,
  heapMB: mb(heapUsed),
  heapTotalMB: mb(heapTotal),
}
process.stdout.write(`${JSON.stringify(result)}\n`)
await stop()
await deleteKeysUnder(connection, prefix)
await connection.quit()
await database.close()
process.exit(0)
