import { readFile } from 'node:fs/promises'
import { pino } from 'pino'
import { Messenger } from '../../bot/messenger.ts'
import { MockNetwork } from '../../bot/mock-network.ts'
import { MOCK_PUPPET } from '../../bot/puppet.ts'
import { type BotRuntime, startBots } from '../../bot/runtime.ts'
import { sampleResidents } from '../../fixtures/sample-residents.ts'
import { countUnboundGroups } from '../../network/groups.ts'
import { importNetwork } from '../../network/import.ts'
import type { OrderOptions } from '../../orders/options.ts'
import type { PacingRules } from '../../queues/pacing.ts'
import type { Services } from '../../runtime/services.ts'
import { until } from '../../runtime/until.ts'
import { startWorkers } from '../../runtime/workers.ts'

export { until }

import { createTestRedis } from './redis.ts'
import type { ScratchDatabase } from './scratch-db.ts'

export interface SampleDistrict {
  t: ScratchDatabase
  services: Services
  network: MockNetwork
  bots: BotRuntime
  prefix: string
  stop(): Promise<void>
}

/** Pacing loose enough that tests run in milliseconds; the pacing tests set their own. */
export const FAST_PACING: PacingRules & { cooldownMs: number } = {
  perMinute: 100_000,
  minGapMs: 0,
  jitterMs: 0,
  roomGapMs: 0,
  cooldownMs: 1_000,
}

/**
 * The sample district live on mock puppets: its own database with the CSV imported, its own queue
 * prefix, a mock room per group, the bots logged in and every room bound.
 */
export async function startSampleDistrict(
  opts: {
    pacing?: PacingRules & { cooldownMs: number }
    /** Where the district lives; a clone of the test run's template by default. */
    database?: () => Promise<ScratchDatabase>
    /** Order settings (e.g. a short slaScale); `services.orders` stays one shared object. */
    orders?: Partial<OrderOptions>
  } = {},
): Promise<SampleDistrict> {
  // Imported lazily: pg.ts reads vitest's run context, which benchmarks do not have.
  const t = await (opts.database ?? (await import('./pg.ts')).createTestDatabase)()
  const csv = await readFile(new URL('../../fixtures/sample-district.csv', import.meta.url))
  const result = await importNetwork(t.db, csv)
  if (!result.ok) throw new Error(`sample import failed: ${JSON.stringify(result.errors)}`)
  const redis = await createTestRedis()
  const network = await MockNetwork.build(t.db, sampleResidents)
  const services: Services = {
    db: t.db,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    connection: redis.connection,
    queuePrefix: redis.prefix,
    messenger: new Messenger(t.db, redis.connection, redis.prefix),
    timezone: 'Asia/Shanghai',
    now: () => new Date(),
    // One object shared by every copy of `services` (each bot account holds one), so a test
    // may change settings after start with Object.assign(d.services.orders, …).
    orders: { ...opts.orders },
  }
  const bots = await startBots({
    services,
    puppetName: MOCK_PUPPET,
    pacing: opts.pacing ?? FAST_PACING,
    accounts: network.accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
  })
  const workers = await startWorkers(services)
  network.login()
  await until(async () => (await countUnboundGroups(t.db)) === 0)
  return {
    t,
    services,
    network,
    bots,
    prefix: redis.prefix,
    async stop() {
      await workers.close()
      await bots.stop()
      await services.messenger.close()
      await redis.close()
      await t.close()
    },
  }
}
