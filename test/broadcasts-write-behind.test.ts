import type { ChildProcess } from 'node:child_process'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { reconcileOnce } from '../broadcasts/reconciler.ts'
import { sendStatesOf } from '../broadcasts/send-states.ts'
import { unsigned } from '../broadcasts/signature.ts'
import { type BroadcastWorkers, runBroadcastWorkers } from '../broadcasts/workers.ts'
import type { Services } from '../core/services.ts'
import { until } from '../core/until.ts'
import type { Db } from '../db/client.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import { botAccounts, groups } from '../db/schema/network.ts'
import { SendQueues } from '../queues/send-queues.ts'
import {
  agreement,
  type BroadcastDistrict,
  memberActor,
  startBroadcastDistrict,
} from './support/broadcasts-district.ts'
import { spawnChild } from './support/child.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'
import { createTestRedis, redisUrl, type TestRedis } from './support/redis.ts'
import { importSample, testServices } from './support/sample-services.ts'

const CHILD = new URL('./support/broadcasts-bot-child.ts', import.meta.url).pathname

/**
 * PostgreSQL refuses every write of a delivery as sent while installed: the sends go out and
 * their jobs complete, and the rows stay open, as after a crash right after the says.
 */
async function refuseSentWrites(db: Db): Promise<() => Promise<void>> {
  await db.execute(sql`create function refuse_sent() returns trigger language plpgsql as $$
    begin raise exception 'refused for the test'; end $$`)
  await db.execute(sql`create trigger refuse_sent before update on deliveries for each row
    when (new.status = 'sent') execute function refuse_sent()`)
  return async () => {
    await db.execute(sql`drop trigger refuse_sent on deliveries`)
    await db.execute(sql`drop function refuse_sent()`)
  }
}

/** Each delivery of the notice with the state of its send in Redis (its page's progress). */
async function jobStates(services: Services, queues: SendQueues, noticeId: number) {
  const rows = await services.db
    .select({ id: deliveries.id, status: deliveries.status, account: botAccounts.name })
    .from(deliveries)
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    .where(eq(deliveries.noticeId, noticeId))
  const out = []
  for (const r of rows) {
    const states = await sendStatesOf(queues.of(r.account), [r.id])
    out.push({ ...r, job: states.get(r.id)?.state })
  }
  return out
}

describe('sends are recorded behind the says: a bot process killed before they are written', () => {
  let t: TestDatabase
  let redis: TestRedis
  let services: Services
  let workers: BroadcastWorkers
  let queues: SendQueues
  let child: ChildProcess | undefined
  // Every bot process of these tests hands a dead one's page over within a second or two
  // (BullMQ's defaults: 30 s each). All of a queue's workers need the same stalled interval: each
  // check holds off the others' for that long.
  const takeover = { LOCK_MS: '1000', STALLED_MS: '300' }
  beforeAll(async () => {
    t = await createTestDatabase()
    await importSample(t.db)
    redis = await createTestRedis()
    services = testServices(t.db, redis.connection, redis.prefix)
    // The fan-out here; the bots, their send workers and the send hooks in the child only.
    workers = await runBroadcastWorkers(services, { reconcile: false })
    queues = new SendQueues(redis.connection, redis.prefix)
  })
  afterAll(async () => {
    child?.kill('SIGKILL')
    await workers?.close()
    await queues?.close()
    await services?.messenger.close()
    await redis?.close()
    await t?.close()
  })

  it('loses no send and says none twice: the reconciler records what the pages said as sent', async () => {
    const bots = spawnChild(CHILD, {
      DATABASE_URL: t.url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: redis.prefix,
      ...takeover,
    })
    child = bots.child
    await bots.next('ready')
    const allow = await refuseSentWrites(t.db)

    const text =
      '【提醒】本周六上午九点，石桥铺街道开展义诊活动，请有需要的居民前往社区卫生服务站。'
    const actor = await memberActor(t.db, 'wxid_liuyang')
    const created = await createNotice(services, { actor, scope: '石桥铺街道', text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    expect((await confirmNotice(services, { id, actor })).outcome).toBe('confirmed')

    const said = () =>
      bots.all.filter((e) => e.event === 'said' && unsigned(String(e.text)) === text)
    await until(async () => said().length === 17, 20_000)
    // Said, and every page past its rooms in Redis, but not one row written: kill the process now.
    await until(
      async () => (await jobStates(services, queues, id)).every((r) => r.job === 'said'),
      10_000,
    )
    const before = await jobStates(services, queues, id)
    expect(before.filter((r) => r.status !== 'sending')).toEqual([])
    child.kill('SIGKILL')
    await new Promise((r) => child!.once('exit', r))
    await allow()

    const report = await reconcileOnce({ services, sendQueues: queues }, { staleMs: 0, batch: 100 })
    expect(report).toMatchObject({ checked: 17, markedSent: 17, requeued: 0, finished: 0 })
    const after = await jobStates(services, queues, id)
    expect(after.filter((r) => r.status !== 'sent' || r.job !== 'said')).toEqual([])
    const [notice] = await t.db.select().from(notices).where(eq(notices.id, id))
    expect(notice?.status).toBe('done')
    // Every room of the township once, none twice; nothing left queued to say it again.
    const rooms = said().map((e) => e.roomId)
    expect(new Set(rooms).size).toBe(17)
    expect(rooms).toHaveLength(17)
    const counts = await queues
      .of('bot-shiqiaopu')
      .getJobCounts('waiting', 'prioritized', 'delayed')
    expect(counts).toMatchObject({ waiting: 0, prioritized: 0, delayed: 0 })
  })

  it('a bot process killed in the middle of a page: another takes the page over where it stopped', async () => {
    // The first process says 8 rooms and hangs on the 9th; its `sent` writes are refused, so only
    // the pages' progress in Redis tells the second which rooms are done.
    const env = { DATABASE_URL: t.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: redis.prefix }
    const first = spawnChild(CHILD, { ...env, ...takeover, HOLD_AFTER: '8' })
    child = first.child
    await first.next('ready')
    const allow = await refuseSentWrites(t.db)

    const text = '【通知】石桥铺街道本周日上午开展消防安全演练，请各小区居民配合。'
    const actor = await memberActor(t.db, 'wxid_liuyang')
    const created = await createNotice(services, { actor, scope: '石桥铺街道', text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    expect((await confirmNotice(services, { id, actor })).outcome).toBe('confirmed')
    const saidBy = (p: typeof first) =>
      p.all
        .filter((e) => e.event === 'said' && unsigned(String(e.text)) === text)
        .map((e) => String(e.roomId))

    await until(async () => saidBy(first).length === 8, 20_000)
    // The 8 are in the pages' progress in Redis before the process dies.
    await until(async () => {
      const states = await jobStates(services, queues, id)
      return states.filter((r) => r.job === 'said').length === 8
    }, 10_000)
    child.kill('SIGKILL')
    await new Promise((r) => child!.once('exit', r))
    await allow()

    const second = spawnChild(CHILD, { ...env, ...takeover })
    child = second.child
    await second.next('ready')
    await until(async () => saidBy(second).length === 9, 20_000)
    await until(async () => {
      const rows = await jobStates(services, queues, id)
      return rows.filter((r) => r.status === 'sent').length === 9
    })
    // The rows of the first process's 8 are still `sending`: the reconciler finds them said.
    const report = await reconcileOnce({ services, sendQueues: queues }, { staleMs: 0, batch: 100 })
    expect(report).toMatchObject({ markedSent: 8, requeued: 0 })
    await until(async () => {
      const [notice] = await t.db.select().from(notices).where(eq(notices.id, id))
      return notice?.status === 'done'
    }, 10_000)

    const rooms = [...saidBy(first), ...saidBy(second)]
    expect(new Set(rooms).size).toBe(17)
    expect(rooms).toHaveLength(17)
    const rows = await jobStates(services, queues, id)
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([])
  })
})

describe('sends are recorded behind the says: a clean shutdown', () => {
  let d: BroadcastDistrict
  beforeAll(async () => {
    d = await startBroadcastDistrict()
  })
  afterAll(async () => {
    await d?.stop()
  })

  it('writes every send still held back before the bots stop', async () => {
    const allow = await refuseSentWrites(d.t.db)
    const text = '【提醒】下周二起社区食堂午餐时间调整为11:00-13:00。'
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: '石桥铺街道', text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    expect((await confirmNotice(d.services, { id, actor })).outcome).toBe('confirmed')
    await until(async () => (await agreement(d, id)).rooms.every((r) => r.copies === 1), 20_000)
    await allow()
    await d.workers?.close()
    await d.bots.stop()
    const a = await agreement(d, id)
    expect(a.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
    const [notice] = await d.t.db.select().from(notices).where(eq(notices.id, id))
    expect(notice?.status).toBe('done')
  })
})
