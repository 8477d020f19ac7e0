import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { classifyCli } from '../cli/commands/classify.ts'
import { Caches } from '../core/caches.ts'
import { auditLog } from '../db/schema/audit.ts'
import { units } from '../db/schema/network.ts'
import { learnedExamples, orderQuestions, orders, serviceCatalog } from '../db/schema/orders.ts'
import { learnedFor } from '../orders/learned-examples.ts'
import { runCli } from './support/cli.ts'
import {
  botSays,
  codeIn,
  eventsOf,
  orderByCode,
  setOrderOptions,
} from './support/orders-helpers.ts'
import { type SampleDistrict, startSampleDistrict, until } from './support/sample-district.ts'

const BUILDING = '科园社区第一网格1栋居民群' // 林秀英
const BUILDING2 = '科园社区第一网格2栋居民群' // 高建国
const OTHER_GRID = '科园社区第二网格1栋居民群' // 杨桂兰
const YUZHOU = '渝州路社区第一网格1栋居民群' // 徐志明
const WORKERS = '科园社区志愿服务工作群' // 张伟 (station staff), 李娜, 王强
const YUZHOU_WORKERS = '渝州路社区志愿服务工作群' // 黄敏 (another station's staff)
// Nothing in it says which service: the classifier is unsure (困难群众帮扶, 政策理论宣讲, then
// 宣传报道 and 其他求助 all but tied).
const VAGUE = '点单 帮我问问那个补贴的事情'
const MENU = '您要办的是：1 困难群众帮扶 2 政策理论宣讲 3 宣传报道，回复数字即可'

describe('asking back when unsure, and 改类 by the station (issue 18)', () => {
  let d: SampleDistrict
  const db = () => d.t.db
  beforeAll(async () => {
    d = await startSampleDistrict({ orders: { askSeconds: 60 } })
  })
  afterAll(async () => {
    await d?.stop()
  })

  async function question(code: string) {
    const order = await orderByCode(db(), code)
    const [q] = await db()
      .select()
      .from(orderQuestions)
      .where(eq(orderQuestions.orderId, order!.id))
    return q
  }

  /** The bot's lines in `topic` while `act` runs and a later 菜单 is answered there. */
  async function linesDuring(topic: string, who: string, act: () => void) {
    const before = d.network.botLines(topic).length
    act()
    const menu = botSays(d.network, topic, '可点的服务')
    d.network.say(who, topic, '菜单')
    await menu
    return d.network.botLines(topic).slice(before, -1)
  }

  it('asks with a menu of three, keeps the order, and a digit routes and dispatches it', async () => {
    const asked = botSays(d.network, BUILDING, '您要办的是')
    d.network.say('wxid_linxiuying', BUILDING, VAGUE)
    const reply = (await asked).text
    expect(reply).toContain(MENU)
    const code = codeIn(reply)
    // Recorded at once, as 其他求助 at the community station, nobody told yet.
    const pending = await orderByCode(db(), code)
    expect(pending).toMatchObject({ status: 'placed', assigneeMemberId: null })
    expect(await question(code)).toMatchObject({ settledAt: null, residentRef: 'wxid_linxiuying' })

    // Another resident's bare digit, with no question of theirs, is ordinary chat.
    expect(
      await linesDuring(BUILDING2, 'wxid_gaojianguo', () =>
        d.network.say('wxid_gaojianguo', BUILDING2, '2'),
      ),
    ).toEqual([])

    const placed = botSays(d.network, BUILDING, `已收到您的点单 ${code}`)
    const dispatched = botSays(d.network, WORKERS, `【派单】${code} 困难群众帮扶`)
    d.network.say('wxid_linxiuying', BUILDING, '１')
    expect((await placed).text).toContain('困难群众帮扶')
    await dispatched
    const order = await orderByCode(db(), code)
    expect(order?.status).toBe('dispatched')
    expect(await question(code)).toMatchObject({ outcome: 'chosen' })
    expect((await eventsOf(db(), code)).map((e) => [e.type, e.actorRef])).toEqual([
      ['placed', 'wxid_linxiuying'],
      ['recategorized', 'wxid_linxiuying'],
      ['dispatched', 'system'],
    ])
    // Answered once: the same digit again is silence.
    expect(
      await linesDuring(BUILDING, 'wxid_linxiuying', () =>
        d.network.say('wxid_linxiuying', BUILDING, '1'),
      ),
    ).toEqual([])
  })

  it('takes a new description as the answer: the same order, routed by the clearer words', async () => {
    const asked = botSays(d.network, OTHER_GRID, '您要办的是')
    d.network.say('wxid_yangguilan', OTHER_GRID, VAGUE)
    const code = codeIn((await asked).text)
    const placed = botSays(d.network, OTHER_GRID, `已收到您的点单 ${code}`)
    d.network.say('wxid_yangguilan', OTHER_GRID, '点单 家里困难 想申请低保')
    expect((await placed).text).toContain('困难群众帮扶')
    expect(await question(code)).toMatchObject({ outcome: 'described' })
    const events = await eventsOf(db(), code)
    expect(events[1]).toMatchObject({
      type: 'recategorized',
      note: '困难群众帮扶（家里困难 想申请低保）',
    })
    expect(await db().$count(orders, eq(orders.residentRef, 'wxid_yangguilan'))).toBe(1)
  })

  it('with no answer in time, hands the order to the community station as 其他求助, flagged', async () => {
    setOrderOptions(d, { askSeconds: 1 })
    const asked = botSays(d.network, YUZHOU, '您要办的是')
    const flagged = botSays(d.network, YUZHOU_WORKERS, '【待分派】', 15_000)
    d.network.say('wxid_xuzhiming', YUZHOU, VAGUE)
    const code = codeIn((await asked).text)
    expect((await flagged).text).toContain(code)
    expect(await question(code)).toMatchObject({ outcome: 'expired' })
    const events = await eventsOf(db(), code)
    expect(events.map((e) => e.type)).toEqual(['placed', 'unanswered'])
    const order = await orderByCode(db(), code)
    expect(order?.status).toBe('placed')
    // Too late to answer by digit: silence, the station has it.
    expect(
      await linesDuring(YUZHOU, 'wxid_xuzhiming', () =>
        d.network.say('wxid_xuzhiming', YUZHOU, '1'),
      ),
    ).toEqual([])
    setOrderOptions(d, { askSeconds: 60 })
  })

  it('puts a danger first: the safety category, urgent on the order and in the dispatch', async () => {
    const placed = botSays(d.network, BUILDING, '已收到您的点单')
    const told = botSays(d.network, WORKERS, '安全隐患排查【紧急】')
    // A repair word and an elderly word, but gas: safety wins, no question asked.
    d.network.say('wxid_linxiuying', BUILDING, '点单 老人家里燃气灶坏了 有股味道')
    const code = codeIn((await placed).text)
    expect((await placed).text).toContain('安全隐患排查')
    expect((await told).text).toContain(code)
    expect(await orderByCode(db(), code)).toMatchObject({ priority: 1, status: 'dispatched' })
  })

  it('改类: refused to a resident and to another station, done by the station responsible', async () => {
    // The classifier is sure of 独居老人帮扶; the station, knowing the family, files it under
    // 困难群众帮扶.
    const text = '老伴住院了 屋头莫得人去陪床'
    const placedReply = botSays(d.network, BUILDING2, '已收到您的点单')
    d.network.say('wxid_gaojianguo', BUILDING2, `点单 ${text}`)
    const code = codeIn((await placedReply).text)
    const before = await orderByCode(db(), code)
    expect((await placedReply).text).toContain('独居老人帮扶')

    // A resident: the pipeline refuses the staff command.
    const residentRefused = botSays(d.network, BUILDING2, '没有在本单位')
    d.network.say('wxid_gaojianguo', BUILDING2, `改类 ${code} 困难群众帮扶`)
    await residentRefused
    // Another community's staff: refused by the order's rules, audited.
    const outsiderRefused = botSays(d.network, YUZHOU_WORKERS, `给 ${code} 改类`)
    d.network.say('wxid_huangmin', YUZHOU_WORKERS, `改类 ${code} 困难群众帮扶`)
    await outsiderRefused
    expect(await orderByCode(db(), code)).toMatchObject({
      categoryId: before!.categoryId,
      handlingUnitId: before!.handlingUnitId,
    })
    const refusals = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'order.recategorize'), eq(auditLog.allowed, false)))
    expect(refusals.map((r) => r.actorRef)).toEqual(['wxid_huangmin'])

    // 张伟, staff of 科园社区 (over the grid the order is at, and the station it moves to).
    const done = botSays(d.network, WORKERS, `@张伟 ${code} 已改为「困难群众帮扶」`)
    const redispatched = botSays(d.network, WORKERS, `【派单】${code} 困难群众帮扶`)
    d.network.say('wxid_zhangwei', WORKERS, `改类 ${code} hardship-help`)
    expect((await done).text).toContain('科园社区实践站')
    await redispatched
    const after = await orderByCode(db(), code)
    const [hardship] = await db()
      .select()
      .from(serviceCatalog)
      .where(eq(serviceCatalog.code, 'hardship-help'))
    const [keyuan] = await db()
      .select()
      .from(units)
      .where(eq(units.path, '九龙坡区/石桥铺街道/科园社区'))
    expect(after).toMatchObject({
      categoryId: hardship!.id,
      handlingUnitId: keyuan!.id,
      status: 'dispatched',
    })
    expect(after!.assigneeMemberId).not.toBe(before!.assigneeMemberId)
    const events = await eventsOf(db(), code)
    expect(events.map((e) => [e.type, e.actorRef])).toEqual([
      ['placed', 'wxid_gaojianguo'],
      ['dispatched', 'system'],
      ['recategorized', 'wxid_zhangwei'],
      ['dispatched', 'system'],
    ])
    const [allowed] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'order.recategorize'), eq(auditLog.allowed, true)))
    expect(allowed).toMatchObject({ actorRef: 'wxid_zhangwei' })

    // Learned for the district: the same phrasing from another resident now lands right.
    const [lesson] = await db().select().from(learnedExamples)
    expect(lesson).toMatchObject({ text, createdBy: 'wxid_zhangwei', forgottenAt: null })
    expect(allowed!.detail).toMatchObject({ code, category: 'hardship-help', learned: lesson!.id })
    const again = botSays(d.network, OTHER_GRID, '已收到您的点单')
    d.network.say('wxid_yangguilan', OTHER_GRID, `点单 ${text.replace('莫得', '实在莫得')}`)
    expect((await again).text).toContain('困难群众帮扶')

    // Reversible: forgotten, it no longer counts (a fresh process reads the district again).
    const { lines } = await runCli(classifyCli, { DATABASE_URL: d.t.url }, [], {
      forget: String(lesson!.id),
    })
    expect(lines[0]).toContain(`已停用学习样例 #${lesson!.id}`)
    expect(await learnedFor({ db: db(), caches: new Caches() }, lesson!.districtId)).toEqual([])
    await until(async () => {
      const [row] = await db().select().from(auditLog).where(eq(auditLog.action, 'classify.forget'))
      return row?.allowed === true
    })
    await expect(
      runCli(classifyCli, { DATABASE_URL: d.t.url }, [], { forget: String(lesson!.id) }),
    ).rejects.toThrow(/没有在用的学习样例/)
  })
})
