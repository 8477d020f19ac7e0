import { eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import type { Services } from '../core/services.ts'
import { until } from '../core/until.ts'
import { botAccounts, groups } from '../db/schema/network.ts'
import { orders } from '../db/schema/orders.ts'
import { agreementOf, memberActor, untilDone } from './support/broadcasts-district.ts'
import { spawnChild } from './support/child.ts'
import { codeIn } from './support/orders-helpers.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'
import { createTestRedis, redisUrl, type TestRedis } from './support/redis.ts'
import { importSample, testServices } from './support/sample-services.ts'

const BOT = new URL('./support/bot-role-child.ts', import.meta.url).pathname
const WORKER = new URL('./support/broadcasts-worker-child.ts', import.meta.url).pathname

type Child = ReturnType<typeof spawnChild>

/** Residents and the rooms they order in, two on each bot process's side of the district. */
const RESIDENTS = {
  'bot-shiqiaopu': [
    { wechatId: 'wxid_linxiuying', topic: '科园社区第一网格1栋居民群' },
    { wechatId: 'wxid_xuzhiming', topic: '渝州路社区第一网格1栋居民群' },
  ],
  'bot-yangjiaping': [
    { wechatId: 'wxid_songyumei', topic: '西郊路社区第一网格1栋居民群' },
    { wechatId: 'wxid_tangxiaolong', topic: '西郊路社区第二网格居民群' },
  ],
} as const
type Account = keyof typeof RESIDENTS
const ACCOUNTS = Object.keys(RESIDENTS) as Account[]

/** The bot lines a child has said so far. */
function saidBy(child: Child): { account: string; roomId: string; topic: string; text: string }[] {
  return child.all.filter((e) => e.event === 'said') as never
}

/**
 * The city's shape on one PostgreSQL and one Redis: two `quanqun bot --accounts …` processes, the
 * district's two accounts split between them, and two `quanqun worker` processes, each a child
 * process of its own; this process only writes the notice, as `quanqun notice send` would.
 */
describe('two bot processes (accounts split) and two worker processes on one Redis and PostgreSQL', () => {
  let t: TestDatabase
  let redis: TestRedis
  let services: Services
  const bots = new Map<Account, Child>()
  const workers: Child[] = []
  /** The account each room is bound to, by room id. */
  let accountOfRoom: Map<string, string>

  beforeAll(async () => {
    t = await createTestDatabase()
    await importSample(t.db)
    redis = await createTestRedis()
    services = testServices(t.db, redis.connection, redis.prefix)
    const shared = { DATABASE_URL: t.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: redis.prefix }
    // Both workers stop at tier 3 of the first fan-out to reach it, whichever takes it; the other
    // takes a killed one's job over within a second or two (BullMQ's defaults: 30 s each).
    for (let i = 0; i < 2; i++) {
      workers.push(
        spawnChild(WORKER, {
          ...shared,
          ORDERS: '1',
          HANG_AT_TIER: '3',
          HANG_ONCE_KEY: `${redis.prefix}:test-hang`,
          LOCK_MS: '1000',
          STALLED_MS: '300',
        }),
      )
    }
    // The workers load the catalogue the bots classify against: let them start first.
    await Promise.all(workers.map((w) => w.next('ready')))
    for (const account of ACCOUNTS) {
      bots.set(
        account,
        spawnChild(BOT, {
          ...shared,
          ACCOUNTS: account,
          PACING_PER_MINUTE: '100000',
          PACING_MIN_GAP_MS: '0',
          PACING_JITTER_MS: '0',
          PACING_ROOM_GAP_MS: '0',
        }),
      )
    }
    for (const [account, bot] of bots) expect((await bot.next('ready')).accounts).toEqual([account])
    const rooms = await t.db
      .select({ roomId: groups.roomId, account: botAccounts.name })
      .from(groups)
      .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    accountOfRoom = new Map(rooms.map((r) => [r.roomId!, r.account]))
  }, 60_000)

  afterAll(async () => {
    for (const c of [...bots.values(), ...workers]) c.child.kill('SIGKILL')
    await redis?.close()
    await t?.close()
  })

  /**
   * Each resident of RESIDENTS says a 点单 in their room, through the process that owns it; resolves
   * once every one is acknowledged and dispatched, with their order codes.
   */
  async function orderEverywhere(text: string): Promise<string[]> {
    const start = new Map(ACCOUNTS.map((a) => [a, saidBy(bots.get(a)!).length]))
    for (const account of ACCOUNTS)
      for (const r of RESIDENTS[account]) bots.get(account)!.tell({ say: { ...r, text } })
    const codes: string[] = []
    for (const account of ACCOUNTS) {
      const bot = bots.get(account)!
      const fresh = () => saidBy(bot).slice(start.get(account))
      const topics = RESIDENTS[account].map((r) => r.topic)
      const placed = () => fresh().filter((s) => s.text.includes('已收到您的点单'))
      await until(async () => placed().length === topics.length, 15_000)
      expect(
        placed()
          .map((s) => s.topic)
          .sort(),
      ).toEqual([...topics].sort())
      const mine = placed().map((s) => codeIn(s.text))
      // 【派单】 to the team room or the assignee: said by this process, for each of its orders.
      await until(
        async () =>
          mine.every((code) =>
            fresh().some((s) => s.text.includes(`【派单】`) && s.text.includes(code)),
          ),
        15_000,
      )
      codes.push(...mine)
    }
    const rows = await t.db
      .select({ status: orders.status })
      .from(orders)
      .where(inArray(orders.code, codes))
    expect(rows.map((r) => r.status)).toEqual(codes.map(() => 'dispatched'))
    return codes
  }

  it('places and dispatches residents’ 点单 in the rooms of each bot process', async () => {
    const codes = await orderEverywhere('点单 楼道灯坏了 晚上看不见路，麻烦来修一下')
    expect(new Set(codes).size).toBe(4)
    // Nothing a process said was in a room another process's account owns.
    for (const [account, bot] of bots)
      for (const s of saidBy(bot)) expect(accountOfRoom.get(s.roomId) ?? account).toBe(account)
  })

  it('sends a district notice to every group exactly once while one worker is SIGKILLed mid fan-out, and orders still flow', async () => {
    const text = '【通知】本周六上午九点，全区开展文明实践志愿服务日活动，欢迎居民参加。'
    const actor = await memberActor(t.db, 'wxid_wangfang')
    const created = await createNotice(services, { actor, scope: '九龙坡区', text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    expect((await confirmNotice(services, { id, actor })).outcome).toBe('confirmed')

    // Whichever worker holds the tier-3 job says so and stops there: kill it.
    const [victim, survivor] = await Promise.race(
      workers.map((w, i) => w.next('hang').then(() => [w, workers[1 - i]!] as const)),
    )
    expect(victim.all).toContainEqual({ event: 'tier', noticeId: id, tier: 3, queued: 6 })
    victim.child.kill('SIGKILL')
    await new Promise((r) => victim.child.once('exit', r))
    const killedAt = Date.now()

    // Orders go on meanwhile: placing and dispatching is the bots' work, timers the survivor's.
    await orderEverywhere('点单 小区路灯不亮了，晚上出门不安全')

    await untilDone({ t }, id)
    const recoveredMs = Date.now() - killedAt
    // The survivor took the killed worker's tier over and walked the rest of the tree.
    for (const tier of [3, 4, 5])
      expect(survivor.all).toContainEqual(expect.objectContaining({ event: 'tier', tier }))
    expect(victim.all.filter((e) => e.event === 'tier' && Number(e.tier) > 3)).toEqual([])

    const said = [...bots.values()].flatMap(saidBy)
    const a = await agreementOf(t.db, id, said)
    expect(a.rooms).toHaveLength(accountOfRoom.size)
    expect(a.rooms.filter((r) => r.copies !== 1 || r.status !== 'sent')).toEqual([])
    expect(a.outside).toBe(0)
    // Each copy came from the process owning the room's account, and both processes sent.
    for (const [account, bot] of bots) {
      const copies = saidBy(bot).filter((s) => s.text.includes(text))
      expect(copies.length).toBeGreaterThan(0)
      for (const s of copies) expect(accountOfRoom.get(s.roomId)).toBe(account)
    }
    console.info(`city processes: fan-out taken over and finished ${recoveredMs} ms after the kill`)
  })
})
