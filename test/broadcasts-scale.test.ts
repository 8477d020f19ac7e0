import { and, count, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NoticeActor } from '../broadcasts/authorize.ts'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice, previewOf } from '../broadcasts/create-notice.ts'
import { deliveryIdOfRef } from '../broadcasts/delivery-jobs.ts'
import { reconcileOnce } from '../broadcasts/reconciler.ts'
import { runBroadcastWorkers } from '../broadcasts/workers.ts'
import type { Services } from '../core/services.ts'
import { openDatabase } from '../db/client.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import { botAccounts, groups, members, roles, units } from '../db/schema/network.ts'
import { generateDistrictCsv } from '../fixtures/generate-district.ts'
import { importNetwork } from '../network/import.ts'
import { createFanoutQueue, fanoutJobId } from '../queues/fanout-queue.ts'
import { OutboundPageSchema, PAGE_MAX } from '../queues/outbound-message.ts'
import { sendQueueName } from '../queues/send-queue.ts'
import { SendQueues } from '../queues/send-queues.ts'
import { memberActor, until } from './support/broadcasts-district.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'
import { createTestRedis, type TestRedis } from './support/redis.ts'
import { testServices } from './support/sample-services.ts'

/**
 * The Jiulongpo-sized district (11,181 groups, 22 bot accounts) without puppets: what the outbox,
 * the fan-out and the reconciler cost at the size the reports quote. Send queues are inspected
 * instead of drained.
 */
describe('a district-wide notice on the generated Jiulongpo district', () => {
  let t: TestDatabase
  let services: Services
  let redis: TestRedis
  let author: NoticeActor
  let noticeId = 0
  const accountNames: string[] = []

  beforeAll(async () => {
    t = await createTestDatabase()
    const imported = await importNetwork(t.db, new TextEncoder().encode(generateDistrictCsv()))
    if (!imported.ok) throw new Error('generated import failed')
    // No puppet has seen these rooms: give every group one, as the bots would on login.
    await t.db.update(groups).set({ roomId: sql`'room-' || ${groups.id}` })
    redis = await createTestRedis()
    services = testServices(t.db, redis.connection, redis.prefix)
    const [propagandist] = await t.db
      .select({ wechatId: members.wechatId })
      .from(roles)
      .innerJoin(members, eq(members.id, roles.memberId))
      .innerJoin(units, eq(units.id, roles.unitId))
      .where(and(eq(units.path, '九龙坡区'), eq(roles.role, 'propagandist')))
    author = await memberActor(t.db, propagandist!.wechatId)
    accountNames.push(...(await t.db.select().from(botAccounts)).map((a) => a.name))
  })
  afterAll(async () => {
    await services?.messenger.close()
    await redis?.close()
    await t?.close()
  })

  it('writes the notice and 11,181 deliveries in one transaction, once per dedupe key', async () => {
    const started = performance.now()
    const [a, b] = await (async () => {
      const other = openDatabase({ url: t.url, max: 2 })
      try {
        return await Promise.all(
          [services, { ...services, db: other.db }].map((s) =>
            createNotice(s, {
              actor: author,
              scope: '九龙坡区',
              text: '全区文明实践志愿服务月启动',
              dedupeKey: 'scale:2025-06-01T01:00:00.000Z',
            }),
          ),
        )
      } finally {
        await other.close()
      }
    })()
    const ms = performance.now() - started
    if (!a?.ok || !b?.ok) throw new Error('not created')
    expect(a.notice.id).toBe(b.notice.id)
    expect([a.created, b.created].sort()).toEqual([false, true])
    noticeId = a.notice.id
    expect(previewOf(services, a, { chat: true }).split('\n')[0]).toBe(
      `通知 N${noticeId} 共 11,181 个群：区 1、街道 180、社区 600、网格 2,200、楼栋 8,200。`,
    )
    const [rows] = await t.db
      .select({ n: count() })
      .from(deliveries)
      .where(eq(deliveries.noticeId, noticeId))
    expect(rows?.n).toBe(11_181)
    console.info(`outbox: notice + 11,181 deliveries (two racing creates) in ${Math.round(ms)} ms`)
  })

  it('fans out tier by tier onto 22 account queues in pages, upper tiers first', async () => {
    const workers = await runBroadcastWorkers(services, { reconcile: false })
    const fanout = createFanoutQueue({ connection: redis.connection, prefix: redis.prefix })
    try {
      const started = performance.now()
      await confirmNotice(services, { id: noticeId, actor: author })
      await until(
        async () => (await fanout.getJobState(fanoutJobId({ noticeId, tier: 5 }))) === 'completed',
        20_000,
      )
      const ms = performance.now() - started
      const queues = new SendQueues(redis.connection, redis.prefix)
      /** The page jobs queued on an account, each with the deliveries it holds. */
      const pagesOf = async (account: string) =>
        (await queues.of(account).getJobs(['prioritized', 'waiting'])).map((job) => {
          const page = OutboundPageSchema.parse(job.data)
          return { job, ids: page.to.map((e) => deliveryIdOfRef(e.ref ?? '')) }
        })
      try {
        const pages = await Promise.all(accountNames.map(pagesOf))
        const ids = pages.flat().flatMap((p) => p.ids)
        expect(ids).toHaveLength(11_181)
        expect(new Set(ids).size).toBe(11_181)
        expect(pages.flat().every((p) => p.ids.length <= PAGE_MAX)).toBe(true)
        // The priority of a district page beats a building's on the account holding both.
        const [first] = await t.db
          .select({ id: deliveries.id, tier: deliveries.tier, account: botAccounts.name })
          .from(deliveries)
          .innerJoin(botAccounts, eq(botAccounts.id, deliveries.botAccountId))
          .where(and(eq(deliveries.noticeId, noticeId), eq(deliveries.tier, 1)))
        const accountPages = pages[accountNames.indexOf(first!.account)]!
        const page = accountPages.find((p) => p.ids.includes(first!.id))
        expect(page?.job.opts.priority).toBe(3)
        expect(Math.max(...accountPages.map((p) => p.job.opts.priority ?? 0))).toBe(7)
        const byAccount = Object.fromEntries(
          accountNames.map((name, i) => [name, pages[i]!.flatMap((p) => p.ids).length]),
        )
        console.info(
          `fan-out: 11,181 sends in ${pages.flat().length} page jobs on ${accountNames.length} queues in ${Math.round(ms)} ms; ` +
            `per account ${Math.min(...Object.values(byAccount))}-${Math.max(...Object.values(byAccount))}`,
        )

        // Nothing in Redis is lost: a reconcile pass finds every job in hand.
        const age = () =>
          Promise.all([
            t.db.update(deliveries).set({ updatedAt: sql`now() - interval '1 hour'` }),
            t.db.update(notices).set({ confirmedAt: sql`now() - interval '1 hour'` }),
          ])
        await age()
        let t0 = performance.now()
        const clean = await reconcileOnce(
          { services, sendQueues: queues },
          { staleMs: 60_000, batch: 2_000, maxPasses: 20 },
        )
        expect(clean).toMatchObject({ checked: 11_181, inHand: 11_181, requeued: 0 })
        const passMs = performance.now() - t0

        // One account's queue lost: exactly its deliveries are queued again, nothing else.
        const lost = accountNames[0]!
        const keys = await redis.connection.keys(`${redis.prefix}:${sendQueueName(lost)}:*`)
        await redis.connection.del(...keys)
        await age()
        t0 = performance.now()
        const repaired = await reconcileOnce(
          { services, sendQueues: queues },
          { staleMs: 60_000, batch: 2_000, maxPasses: 20 },
        )
        expect(repaired.requeued).toBe(byAccount[lost])
        expect(repaired.inHand).toBe(11_181 - byAccount[lost]!)
        const after = (await pagesOf(lost)).flatMap((p) => p.ids)
        expect(new Set(after).size).toBe(byAccount[lost])
        console.info(
          `reconcile: 11,181 checked in ${Math.round(passMs)} ms; ${repaired.requeued} of one lost ` +
            `queue re-added in ${Math.round(performance.now() - t0)} ms`,
        )
      } finally {
        await queues.close()
      }
    } finally {
      await fanout.close()
      await workers.close()
    }
  })
})
