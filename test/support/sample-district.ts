import { readFile } from 'node:fs/promises'
import { count, isNotNull } from 'drizzle-orm'
import { pino } from 'pino'
import { Messenger } from '../../bot/messenger.ts'
import { MockNetwork } from '../../bot/mock-network.ts'
import { MOCK_PUPPET } from '../../bot/puppet.ts'
import { type BotRuntime, startBots } from '../../bot/runtime.ts'
import { groups } from '../../db/schema/network.ts'
import { sampleResidents } from '../../fixtures/sample-residents.ts'
import { importNetwork } from '../../network/import.ts'
import type { PacingRules } from '../../queues/pacing.ts'
import type { Services } from '../../runtime/services.ts'
import { startWorkers } from '../../runtime/workers.ts'
import { createTestDatabase, type TestDatabase } from './pg.ts'
import { createTestRedis } from './redis.ts'

export interface SampleDistrict {
  t: TestDatabase
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
  opts: { pacing?: PacingRules & { cooldownMs: number } } = {},
): Promise<SampleDistrict> {
  const t = await createTestDatabase()
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
  }
  const bots = await startBots({
    services,
    puppetName: MOCK_PUPPET,
    pacing: opts.pacing ?? FAST_PACING,
    accounts: network.accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
  })
  const workers = await startWorkers(services)
  network.login()
  const [total] = await t.db.select({ n: count() }).from(groups)
  await until(async () => {
    const [bound] = await t.db.select({ n: count() }).from(groups).where(isNotNull(groups.roomId))
    return bound!.n === total!.n
  })
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

/** Polls `check` every 20 ms until it is true; throws after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
