import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { units } from '../db/schema/network.ts'
import { readCatalogFile, reloadCatalog } from '../orders/catalogue.ts'
import { onStepDue, sweepOverdue } from '../orders/sla.ts'
import { slaQueueOf } from '../orders/sla-timer.ts'
import {
  botSays,
  codeIn,
  eventsOf,
  orderByCode,
  setOrderOptions,
} from './support/orders-helpers.ts'
import { type SampleDistrict, startSampleDistrict, until } from './support/sample-district.ts'

const WORKERS = '科园社区志愿服务工作群'
const TOWNSHIP = '石桥铺街道新时代文明实践所工作群'
const DISTRICT = '九龙坡区文明实践中心工作群'

// 60 catalogue minutes → 300 ms: each tier gets a visible, short window.
const SCALE = 300 / (60 * 60_000)

describe('SLA escalation (四个必接) on the sample district', () => {
  let d: SampleDistrict
  beforeAll(async () => {
    d = await startSampleDistrict()
    // A test catalogue: a repair must be accepted within 60 minutes and done within 120.
    const file = await readCatalogFile()
    for (const c of file.categories) {
      if (c.code === 'facility-repair') c.sla = { acceptMinutes: 60, completeMinutes: 120 }
    }
    await reloadCatalog(d.services, file)
  })
  afterAll(async () => {
    await d?.stop()
  })

  const escalations = (topic: string, code: string) =>
    d.network.botLines(topic).filter((l) => l.startsWith(`【上报】${code}`))

  it('climbs grid → community → township → district, one step per SLA, each tier told once, then stops', async () => {
    setOrderOptions(d, { slaScale: SCALE })
    const topic = '科园社区第一网格2栋居民群'
    const placed = botSays(d.network, topic, '已收到您的点单')
    const atDistrict = botSays(d.network, DISTRICT, '【上报】', 15_000)
    d.network.say('wxid_gaojianguo', topic, '报修 单元门坏了，关不上')
    const code = codeIn((await placed).text)
    await atDistrict

    // The district's own timer runs out too: it must fire and change nothing.
    const order = await orderByCode(d.t.db, code)
    const lastJobId = `sla-${code}-accept-3-${order!.dueAt!.getTime()}`
    const queue = slaQueueOf(d.services)
    await until(async () => (await queue.getJob(lastJobId))?.finishedOn !== undefined, 10_000)

    const events = await eventsOf(d.t.db, code)
    expect(events.map((e) => e.type)).toEqual([
      'placed',
      'dispatched',
      'escalated',
      'escalated',
      'escalated',
    ])
    const path = async (unitId: number | null) =>
      (await d.t.db.select().from(units)).find((u) => u.id === unitId)?.path
    expect(await Promise.all(events.slice(2).map((e) => path(e.unitId)))).toEqual([
      '九龙坡区/石桥铺街道/科园社区',
      '九龙坡区/石桥铺街道',
      '九龙坡区',
    ])
    for (const e of events.slice(2)) {
      expect(e.actorRef).toBe('system')
      expect(e.note).toBe('超过 60 分钟无人接单')
    }
    // Each step waited its SLA (300 ms), not less.
    for (let i = 2; i < events.length; i++) {
      expect(events[i]!.at.getTime() - events[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(290)
    }
    const after = await orderByCode(d.t.db, code)
    expect(after).toMatchObject({ status: 'escalated', escalations: 3, assigneeMemberId: null })
    expect(after!.dueAt).not.toBeNull() // still overdue, on every list, but nowhere higher to go

    expect(escalations(WORKERS, code)).toHaveLength(1)
    expect(escalations(TOWNSHIP, code)).toHaveLength(1)
    expect(escalations(DISTRICT, code)).toHaveLength(1)
    expect(escalations(DISTRICT, code)[0]).toContain('现由九龙坡区文明实践中心负责')
    const residentTold = d.network.botLines(topic).filter((l) => l.includes('已转至'))
    expect(residentTold).toHaveLength(3)

    const jobs = await queue.getJobs(['completed', 'delayed', 'waiting', 'active'])
    const ids = jobs.map((j) => j.id!).filter((id) => id.startsWith(`sla-${code}-`))
    expect(ids.sort()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^sla-${code}-accept-0-\\d+$`)),
        expect.stringMatching(new RegExp(`^sla-${code}-accept-3-\\d+$`)),
      ]),
    )
  })

  it('escalates a taken order whose work is overdue, and the upper tier takes it over', async () => {
    setOrderOptions(d, { slaScale: SCALE })
    const topic = '科园社区第二网格1栋居民群'
    const grid = '科园社区第二网格居民群'
    const placed = botSays(d.network, topic, '已收到您的点单')
    d.network.say('wxid_yangguilan', topic, '点单 路灯不亮了')
    const code = codeIn((await placed).text)
    const accepted = botSays(d.network, grid, `已接单 ${code}`)
    const escalated = botSays(d.network, WORKERS, `【上报】${code}`)
    d.network.say('wxid_wugang', grid, `接单 ${code}`)
    await accepted
    // The complete step was armed short; what comes after runs on real time, so the community
    // is not rushed past while its staff answer.
    setOrderOptions(d, { slaScale: 1 })
    expect((await escalated).text).toContain('超过 120 分钟未办结')
    // The community station takes it over: its staff dispatch it to a volunteer.
    const redispatched = botSays(d.network, WORKERS, `【派单】${code}`)
    d.network.say('wxid_zhangwei', WORKERS, `派单 ${code} @李娜`)
    expect((await redispatched).text).toContain('@李娜')
    const order = await orderByCode(d.t.db, code)
    expect(order).toMatchObject({ status: 'dispatched', escalations: 1 })
  })

  it('a timer whose order moved on is stale; one not yet due says when to look again', async () => {
    setOrderOptions(d, { slaScale: 1 })
    const topic = '渝州路社区第一网格1栋居民群'
    const grid = '渝州路社区第一网格居民群'
    const placed = botSays(d.network, topic, '已收到您的点单')
    d.network.say('wxid_xuzhiming', topic, '报修 水管漏水')
    const code = codeIn((await placed).text)
    const armed = await orderByCode(d.t.db, code)
    const due = { code, step: 'accept' as const, level: 0, dueAt: armed!.dueAt!.getTime() }

    expect(await onStepDue(d.services, due)).toEqual({ retryAt: expect.any(Number) })

    const accepted = botSays(d.network, grid, `已接单 ${code}`)
    d.network.say('wxid_zhengshuang', grid, `接单 ${code}`)
    await accepted
    const later = { ...d.services, now: () => new Date(due.dueAt + 1_000) }
    expect(await onStepDue(later, due)).toBeUndefined()
    expect((await orderByCode(d.t.db, code))?.status).toBe('accepted')
    expect((await eventsOf(d.t.db, code)).map((e) => e.type)).toEqual([
      'placed',
      'dispatched',
      'accepted',
    ])
  })

  it('re-arms an overdue step from PostgreSQL when Redis lost the timer', async () => {
    setOrderOptions(d, { slaScale: 1 })
    const topic = '渝州路社区第二网格1栋居民群'
    const placed = botSays(d.network, topic, '已收到您的点单')
    d.network.say('wxid_xuzhiming', topic, '报修 下水道堵了')
    const code = codeIn((await placed).text)
    const queue = slaQueueOf(d.services)
    // Redis loses everything waiting (a flush, a failover without AOF).
    await queue.drain(true)
    const order = await orderByCode(d.t.db, code)
    const jobId = `sla-${code}-accept-0-${order!.dueAt!.getTime()}`
    expect(await queue.getJob(jobId)).toBeUndefined()

    // The clock passes the due time; the sweep finds the order in the table and re-arms it.
    const overdueNow = new Date(order!.dueAt!.getTime() + 1)
    const clocked = { ...d.services, now: () => overdueNow }
    d.services.now = clocked.now
    try {
      const escalated = botSays(d.network, '渝州路社区志愿服务工作群', `【上报】${code}`)
      expect(await sweepOverdue(clocked)).toBeGreaterThanOrEqual(1)
      await escalated
    } finally {
      d.services.now = () => new Date()
    }
    expect((await orderByCode(d.t.db, code))?.escalations).toBe(1)
  })

  it("closes a done order its resident never rates, and the volunteer's points post anyway", async () => {
    setOrderOptions(d, { slaScale: 1 })
    const topic = '西郊路社区第二网格居民群'
    const placed = botSays(d.network, topic, '已收到您的点单')
    d.network.say('wxid_tangxiaolong', topic, '报修 楼道灯不亮了')
    const code = codeIn((await placed).text)
    const accepted = botSays(d.network, topic, `已接单 ${code}`)
    d.network.say('wxid_luoyong', topic, `接单 ${code}`)
    await accepted
    // From 完成 on, the wait for a rating is an hour, scaled to 300 ms.
    setOrderOptions(d, { slaScale: SCALE, rateWaitMinutes: 60 })
    const closed = botSays(d.network, '西郊路社区志愿服务工作群', `【结单】${code}`)
    d.network.say('wxid_luoyong', topic, `完成 ${code} 用时1小时`)
    expect((await closed).text).toBe(
      `【结单】${code} 居民未评价，已自动结单。罗勇 获爱心积分 10 分，累计 10 分。`,
    )
    const events = await eventsOf(d.t.db, code)
    expect(events.at(-1)).toMatchObject({
      type: 'rated',
      actorRef: 'system',
      note: '居民 1 小时未评价，自动结单',
    })
    expect(await orderByCode(d.t.db, code)).toMatchObject({
      status: 'rated',
      rating: null,
      dueAt: null,
    })
    setOrderOptions(d, { slaScale: 1 })
  })
})
