import { botWiring } from '../../app/bot-wiring.ts'
import { startWorkers } from '../../app/workers.ts'
import { type BotFleet, startBots } from '../../bot/bot-fleet.ts'
import { MockNetwork } from '../../bot/mock-network.ts'
import { MOCK_PUPPET, type MockPuppetFactory } from '../../bot/puppet.ts'
import type { Config } from '../../core/config.ts'
import type { OrderOptions } from '../../core/order-options.ts'
import type { Services } from '../../core/services.ts'
import type { Stoppable } from '../../core/stoppable.ts'
import { until } from '../../core/until.ts'
import { sampleResidents } from '../../fixtures/sample-residents.ts'
import { countUnboundGroups } from '../../network/groups.ts'
import type { PacingRules } from '../../queues/pacing.ts'

export { until }

import { createTestRedis, redisUrl } from './redis.ts'
import { importSample, testServices } from './sample-services.ts'
import type { ScratchDatabase } from './scratch-db.ts'

export interface SampleDistrict {
  t: ScratchDatabase
  services: Services
  network: MockNetwork
  bots: BotFleet
  prefix: string
  stop(): Promise<void>
}

export interface SampleDistrictOptions {
  pacing?: PacingRules & { cooldownMs: number }
  /** Where the district lives; a clone of the test run's template by default. */
  database?: () => Promise<ScratchDatabase>
  /** Order settings (e.g. a short slaScale); `services.orders` stays one shared object. */
  orders?: Partial<OrderOptions>
  /**
   * The workers this process runs, started after the bots and closed first by stop(): every
   * domain's, as `quanqun worker` runs them, by default; false runs none.
   */
  workers?: false | ((services: Services) => Promise<Stoppable>)
  /** A Redis of the test's own (the FLUSHALL test); the shared test Redis by default. */
  redisUrl?: string
  /** Where residents' pictures are kept (DATA_DIR); none are kept when unset. */
  dataDir?: string
  /** A Redis Cluster of the test's own (its seed nodes): every connection is a cluster client. */
  redisClusterNodes?: Config['redisClusterNodes']
  /** The mock puppet of every account (RecallingPuppet for 撤回); PuppetMock by default. */
  mockPuppet?: MockPuppetFactory
  /** Settings of notices over the defaults (the picture cap, 撤回's window). */
  notices?: Services['notices']
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
  opts: SampleDistrictOptions = {},
): Promise<SampleDistrict> {
  // Imported lazily: pg.ts reads vitest's run context, which benchmarks do not have.
  const t = await (opts.database ?? (await import('./pg.ts')).createTestDatabase)()
  await importSample(t.db)
  const redis = await createTestRedis({
    redisUrl: opts.redisUrl ?? redisUrl(),
    redisClusterNodes: opts.redisClusterNodes,
  })
  const network = await MockNetwork.build(t.db, sampleResidents, opts.mockPuppet)
  // One object shared by every copy of `services` (each bot account holds one), so a test
  // may change settings after start with Object.assign(d.services.orders, …).
  const services = testServices(t.db, redis.connection, redis.prefix, {
    orders: { ...opts.orders },
    ...(opts.dataDir !== undefined && { dataDir: opts.dataDir }),
    ...(opts.notices && { notices: opts.notices }),
  })
  const bots = await startBots({
    ...botWiring(services),
    services,
    puppetName: MOCK_PUPPET,
    pacing: opts.pacing ?? FAST_PACING,
    accounts: network.accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
  })
  const workers =
    opts.workers === false ? undefined : await (opts.workers ?? startWorkers)(services)
  network.login()
  await until(async () => (await countUnboundGroups(t.db)) === 0)
  return {
    t,
    services,
    network,
    bots,
    prefix: redis.prefix,
    async stop() {
      await workers?.close()
      await bots.stop()
      await services.messenger.close()
      await redis.close()
      await t.close()
    },
  }
}
