import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Services } from '../core/services.ts'
import { type Database, openDatabase } from '../db/client.ts'
import { groups, members } from '../db/schema/network.ts'
import { applyAction } from '../orders/act.ts'
import { loadCatalog } from '../orders/catalogue.ts'
import { placeOrder } from '../orders/intake.ts'
import { ledgerTotal, memberBalance } from '../orders/points.ts'
import { rateOrder } from '../orders/rating.ts'
import { serviceRates } from '../orders/service-rates.ts'
import { closeSlaQueue } from '../orders/sla-timer.ts'
import { createTestRedis, type TestRedis } from './support/redis.ts'
import { importSample, testServices } from './support/sample-services.ts'

/** The demo runs on embedded PGlite: the whole loop must work on it as on PostgreSQL. */
describe('the service loop on PGlite', () => {
  let database: Database
  let redis: TestRedis
  let services: Services
  beforeAll(async () => {
    database = openDatabase({ dataDir: 'memory://' })
    await database.migrate()
    await importSample(database.db)
    await loadCatalog(database.db)
    redis = await createTestRedis()
    services = testServices(database.db, redis.connection, redis.prefix)
  })
  afterAll(async () => {
    await closeSlaQueue(services)
    await services?.messenger.close()
    await redis?.close()
    await database?.close()
  })

  it('places, dispatches, accepts, completes, rates and posts balanced points', async () => {
    const db = database.db
    const [group] = await db
      .select()
      .from(groups)
      .where(eq(groups.topic, '科园社区第一网格1栋居民群'))
    const [first, second] = await Promise.all(
      ['楼道灯坏了', '想量血压'].map((text) =>
        placeOrder(services, {
          residentRef: 'wxid_linxiuying',
          residentName: '林秀英',
          groupId: group!.id,
          unitId: group!.unitId,
          text,
          verb: '点单',
        }),
      ),
    )
    expect(first?.kind).toBe('placed')
    expect(second?.kind).toBe('placed')
    if (first?.kind !== 'placed') return
    const code = first.order.code
    const [sunli] = await db.select().from(members).where(eq(members.wechatId, 'wxid_sunli'))
    const worker = {
      actor: {
        kind: 'person' as const,
        ref: 'wxid_sunli',
        memberId: sunli!.id,
        grants: [
          {
            role: 'grid_worker' as const,
            unitId: first.handlingUnit.id,
            unitPath: first.handlingUnit.path,
          },
        ],
      },
      actorRef: 'wxid_sunli',
      actorMemberId: sunli!.id,
    }
    expect((await applyAction(services, { code, action: { kind: 'accept' }, ...worker })).ok).toBe(
      true,
    )
    expect(
      (
        await applyAction(services, {
          code,
          action: { kind: 'complete' },
          ...worker,
          note: '用时1小时',
        })
      ).ok,
    ).toBe(true)
    const { result, earned } = await rateOrder(services, {
      code,
      stars: 5,
      actor: { kind: 'person', ref: 'wxid_linxiuying', grants: [] },
      actorRef: 'wxid_linxiuying',
    })
    expect(result.ok).toBe(true)
    expect(earned?.amount).toBe(10)
    expect(await memberBalance(db, sunli!.id)).toBe(10)
    expect(await ledgerTotal(db)).toBe(0)

    // 三率 read on PGlite as on PostgreSQL: 2 placed, the repair taken in time, done, 5 stars.
    const now = Date.now()
    const [district] = await serviceRates(db, {
      from: new Date(now - 3600_000),
      to: new Date(now + 60_000),
      tiers: [1],
    })
    expect(district).toMatchObject({
      placed: 2,
      responded: 1,
      completed: 1,
      rated: 1,
      satisfied: 1,
    })
  })
})
