import { MockNetwork } from '../bot/mock-network.ts'
import { runBroadcastWorkers } from '../broadcasts/workers.ts'
import { tuneHeap } from '../core/heap.ts'
import { until } from '../core/until.ts'
import { openDatabase } from '../db/client.ts'
import { createRedis } from '../queues/connection.ts'
import { testServices } from '../test/support/sample-services.ts'
import { bindMockRooms, unpacedBots } from './district.ts'

tuneHeap()
/** Connections per bot process: ten of them share PostgreSQL's default 100. */
const POOL = 5
const accounts = process.env.BENCH_ACCOUNTS
const prefix = process.env.BENCH_PREFIX
if (!accounts || !prefix) throw new Error('BENCH_ACCOUNTS and BENCH_PREFIX are required')
const database = openDatabase({ url: process.env.BENCH_DATABASE_URL, max: POOL })
const connection = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const services = testServices(database.db, connection, prefix)
const network = await MockNetwork.build(database.db, [], undefined, (name) =>
  name.startsWith(accounts),
)
const synced = await bindMockRooms(database.db, network)
const bots = await unpacedBots(services, network)
const workers = await runBroadcastWorkers(services)
network.login()
await until(synced, 600_000, 200)
process.stdout.write(`${JSON.stringify({ ready: true, accounts: network.accounts.length })}\n`)
await new Promise<void>((resolve) => {
  process.stdin.on('end', resolve).on('close', resolve).resume()
})
await workers.close()
await bots.stop()
await services.messenger.close()
await connection.quit()
await database.close()
process.exit(0)
