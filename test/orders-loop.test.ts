import { and, eq, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MOCK_BOT_NAME } from '../bot/mock-network.ts'
import { localDay } from '../core/local-time.ts'
import { tickOf } from '../core/scheduler.ts'
import { auditLog } from '../db/schema/audit.ts'
import { members } from '../db/schema/network.ts'
import { orders, pointsAccounts, pointsEntries } from '../db/schema/orders.ts'
import { sendDigest } from '../orders/digest.ts'
import { ledgerTotal, memberBalance, unbalancedTxIds } from '../orders/points.ts'
import { earningTxId } from '../orders/rating.ts'
import { orderSchedules } from '../orders/schedules.ts'
import { orderSendHooks } from '../orders/send-hooks.ts'
import { botSays, codeIn, eventsOf, orderByCode } from './support/orders-helpers.ts'
import { type SampleDistrict, startSampleDistrict, until } from './support/sample-district.ts'

const BUILDING = '科园社区第一网格1栋居民群'
const GRID = '科园社区第一网格居民群'
const WORKERS = '科园社区志愿服务工作群'

describe('the service loop on the sample district (点单 → 派单 → 接单 → 完成 → 评单)', () => {
  let d: SampleDistrict
  beforeAll(async () => {
    d = await startSampleDistrict()
  })
  afterAll(async () => {
    await d?.stop()
  })

  it('a resident orders, 孙丽 is told, accepts and completes, the resident follows and rates, points post', async () => {
    const { network } = d
    const db = d.t.db

    // 点单: routed to the grid (a repair is a grid matter), dispatched to its grid worker.
    const placedReply = botSays(network, BUILDING, '已收到您的点单')
    const dispatched = botSays(network, WORKERS, '【派单】')
    network.say('wxid_linxiuying', BUILDING, '点单 楼道灯坏了😭 晚上看不见路，麻烦来修一下')
    const placed = await placedReply
    const code = codeIn(placed.text)
    expect(code).toBe('A0001')
    expect(placed.text).toMatch(/^@林秀英 /)
    expect(placed.text).toContain('公共设施维修')
    expect(placed.text).toContain('科园社区第一网格实践点')
    expect(placed.text).toContain('孙丽')
    const told = await dispatched
    expect(told.text).toContain(`${code} 公共设施维修 @孙丽`)
    expect(told.text).toContain('林秀英')

    // 接单 where she was told (the community's workers group); the resident hears it in hers.
    const acceptedReply = botSays(network, WORKERS, `@孙丽 已接单 ${code}`)
    const residentToldAccepted = botSays(network, BUILDING, '已由孙丽接单')
    network.say('wxid_sunli', WORKERS, `接单 ${code}`)
    await acceptedReply
    await residentToldAccepted

    // 完成 with the hours worked (from her grid's group this time); the resident is asked to rate.
    const doneReply = botSays(network, GRID, `${code} 已办结`)
    const askedToRate = botSays(network, BUILDING, `评价 ${code}`)
    network.say('wxid_sunli', GRID, `完成 ${code} 已更换灯泡，用时2小时`)
    await doneReply
    expect((await askedToRate).text).toContain('已更换灯泡')

    // 进度: the whole timeline with its actors.
    const progress = botSays(network, BUILDING, `${code} 公共设施维修`)
    network.say('wxid_linxiuying', BUILDING, `进度 ${code}`)
    const timeline = (await progress).text
    expect(timeline).toContain('已办结待评价')
    expect(timeline).toMatch(/林秀英 点单：楼道灯坏了/)
    expect(timeline).toMatch(/系统 派单：孙丽/)
    expect(timeline).toMatch(/孙丽 接单/)
    expect(timeline).toMatch(/孙丽 办结：已更换灯泡，用时2小时/)

    // 评价 5 stars: closed, points posted and announced.
    const thanks = botSays(network, BUILDING, '感谢您的评价')
    const pointsTold = botSays(network, WORKERS, '爱心积分')
    network.say('wxid_linxiuying', BUILDING, `评价 ${code} 5星 师傅很负责`)
    await thanks
    expect((await pointsTold).text).toContain('孙丽 获爱心积分 20 分，累计 20 分')

    const order = await orderByCode(db, code)
    expect(order?.status).toBe('rated')
    expect(order?.rating).toBe(5)
    expect(order?.dueAt).toBeNull()
    const events = await eventsOf(db, code)
    expect(events.map((e) => [e.type, e.actorRef])).toEqual([
      ['placed', 'wxid_linxiuying'],
      ['dispatched', 'system'],
      ['accepted', 'wxid_sunli'],
      ['done', 'wxid_sunli'],
      ['rated', 'wxid_linxiuying'],
    ])
    expect(events.map((e) => e.toStatus)).toEqual([
      'placed',
      'dispatched',
      'accepted',
      'done',
      'rated',
    ])

    const [sunli] = await db.select().from(members).where(eq(members.wechatId, 'wxid_sunli'))
    expect(await memberBalance(db, sunli!.id)).toBe(20)
    expect(await ledgerTotal(db)).toBe(0)
    expect(await unbalancedTxIds(db)).toEqual([])
    const entries = await db
      .select({ amount: pointsEntries.amount, kind: pointsAccounts.kind })
      .from(pointsEntries)
      .innerJoin(pointsAccounts, eq(pointsAccounts.id, pointsEntries.accountId))
      .where(eq(pointsEntries.txId, earningTxId(order!.id)))
    expect(entries.sort((a, b) => a.amount - b.amount)).toEqual([
      { amount: -20, kind: 'system' },
      { amount: 20, kind: 'member' },
    ])
  })

  it("refuses moves that are not the talker's to make, with a reason, state unchanged, audited", async () => {
    const { network } = d
    const db = d.t.db
    const topic = '科园社区第一网格2栋居民群'
    const placed = botSays(network, topic, '已收到您的点单')
    // A need the classifier is sure of: an unsure one is asked back (orders-ask-back).
    network.say('wxid_gaojianguo', topic, '点单 楼道扶手松了，麻烦派人来修')
    const code = codeIn((await placed).text)
    expect((await orderByCode(db, code))?.status).toBe('dispatched')

    const refusal = async (wechatId: string, room: string, text: string, reason: string) => {
      const said = botSays(network, room, reason)
      network.say(wechatId, room, text)
      await said
    }
    // A resident rating someone else's order (A0001 is 林秀英's).
    await refusal('wxid_gaojianguo', topic, '评价 A0001 1', '只有点单的居民本人可以评价 A0001')
    // A grid worker accepting an order of another grid.
    await refusal('wxid_wugang', '科园社区第二网格居民群', `接单 ${code}`, '已派给其他人')
    // 完成 before 接单.
    await refusal('wxid_sunli', GRID, `完成 ${code}`, `单号 ${code} 还没有接单`)
    // Cancelling a done (here rated) order.
    await refusal('wxid_linxiuying', BUILDING, '撤单 A0001', '单号 A0001 已办结，不能再改动')

    expect((await orderByCode(db, code))?.status).toBe('dispatched')
    expect((await orderByCode(db, 'A0001'))?.status).toBe('rated')
    expect((await eventsOf(db, code)).map((e) => e.type)).toEqual(['placed', 'dispatched'])
    const refusals = await db
      .select()
      .from(auditLog)
      .where(and(like(auditLog.action, 'order.%'), eq(auditLog.allowed, false)))
    expect(refusals.map((r) => [r.action, r.actorRef]).sort()).toEqual(
      [
        ['order.accept', 'wxid_wugang'],
        ['order.cancelOrder', 'wxid_linxiuying'],
        ['order.complete', 'wxid_sunli'],
        ['order.rate', 'wxid_gaojianguo'],
      ].sort(),
    )
  })

  it('return, re-dispatch by station staff, 我的任务, a low rating that reopens, then points for the redo', async () => {
    const { network } = d
    const db = d.t.db
    const topic = '科园社区第二网格1栋居民群'
    const grid = '科园社区第二网格居民群'
    const placed = botSays(network, topic, '已收到您的点单')
    network.say('wxid_yangguilan', topic, '求助 家里水管漏水了')
    const code = codeIn((await placed).text)
    expect((await placed).text).toContain('吴刚')

    const returned = botSays(network, WORKERS, `【退单】${code} 被吴刚退回：今天不在家`)
    network.say('wxid_wugang', grid, `退单 ${code} 今天不在家`)
    await returned
    expect(await orderByCode(db, code)).toMatchObject({
      status: 'returned',
      assigneeMemberId: null,
    })

    const redispatched = botSays(network, WORKERS, `【派单】${code} 公共设施维修 @王强`)
    const staffReply = botSays(network, WORKERS, `已将 ${code} 派给王强`)
    network.say('wxid_zhangwei', WORKERS, `派单 ${code} @王强`)
    await redispatched
    await staffReply

    const tasks = botSays(network, WORKERS, '您的待办工单')
    network.say('wxid_wangqiang', WORKERS, '我的任务')
    expect((await tasks).text).toContain(`${code} 公共设施维修 已派单待接单：家里水管漏水了`)

    const accepted = botSays(network, topic, '已由王强接单')
    network.say('wxid_wangqiang', WORKERS, `接单 ${code}`)
    await accepted
    const done = botSays(network, topic, `评价 ${code}`)
    network.say('wxid_wangqiang', WORKERS, `完成 ${code}`)
    await done

    // 2 stars: back to 王强 to redo, no points yet.
    const reopened = botSays(network, WORKERS, `【重办】${code} 居民评价 2 星：还在滴水`)
    const sorry = botSays(network, topic, '重新办理')
    network.say('wxid_yangguilan', topic, `评价 ${code} 2 还在滴水`)
    expect((await reopened).text).toContain('@王强')
    await sorry
    expect(await orderByCode(db, code)).toMatchObject({ status: 'dispatched', rating: 2 })
    const [wangqiang] = await db
      .select()
      .from(members)
      .where(eq(members.wechatId, 'wxid_wangqiang'))
    expect(await memberBalance(db, wangqiang!.id)).toBe(0)

    const acceptedAgain = botSays(network, topic, '已由王强接单')
    network.say('wxid_wangqiang', WORKERS, `接单 ${code}`)
    await acceptedAgain
    const doneAgain = botSays(network, topic, `评价 ${code}`)
    network.say('wxid_wangqiang', WORKERS, `完成 ${code} 换了阀门，用时半小时`)
    await doneAgain
    const points = botSays(network, WORKERS, '王强 获爱心积分 5 分')
    network.say('wxid_yangguilan', topic, `评价 ${code} 4`)
    await points

    expect((await eventsOf(db, code)).map((e) => e.type)).toEqual([
      'placed',
      'dispatched',
      'returned',
      'dispatched',
      'accepted',
      'done',
      'reopened',
      'accepted',
      'done',
      'rated',
    ])
    expect(await memberBalance(db, wangqiang!.id)).toBe(5)
    expect(await ledgerTotal(db)).toBe(0)
  })

  it('station staff escalate by hand; a resident cancels their own order', async () => {
    const { network } = d
    const db = d.t.db
    const topic = '科园社区居民群'
    const placed = botSays(network, topic, '已收到您的点单')
    network.say('wxid_songyumei', topic, '点单 小区想办一场广场舞演出')
    const code = codeIn((await placed).text)
    const township = botSays(network, '石桥铺街道新时代文明实践所工作群', `【上报】${code}`)
    const reply = botSays(network, WORKERS, `已将 ${code} 上报至石桥铺街道新时代文明实践所`)
    network.say('wxid_zhangwei', WORKERS, `上报 ${code} 场地需要街道协调`)
    expect((await township).text).toContain('场地需要街道协调')
    await reply

    const cancelled = botSays(network, topic, `点单 ${code} 已撤销`)
    network.say('wxid_songyumei', topic, `撤单 ${code}`)
    await cancelled
    const order = await orderByCode(db, code)
    expect(order).toMatchObject({ status: 'cancelled', dueAt: null })
    const events = await eventsOf(db, code)
    expect(events.map((e) => [e.type, e.actorRef, e.note])).toEqual([
      ['placed', 'wxid_songyumei', null],
      ['dispatched', 'system', expect.any(String)],
      ['escalated', 'wxid_zhangwei', '场地需要街道协调'],
      ['cancelled', 'wxid_songyumei', null],
    ])
  })

  it('lets a resident flooding 50 orders in a minute create at most the allowed few', async () => {
    const { network } = d
    const topic = '西郊路社区第二网格居民群'
    const refusedPolitely = botSays(network, topic, '请稍后再试')
    // Different words each time (not one repeated order): only the pace limits them.
    for (let i = 0; i < 50; i++)
      network.say('wxid_tangxiaolong', topic, `点单 想请人来看看第${i}件事`)
    // The refusal comes only once the allowed three exist; the lock lets no fourth in.
    await refusedPolitely
    expect(await d.t.db.$count(orders, eq(orders.residentRef, 'wxid_tangxiaolong'))).toBe(3)
  })

  it('the daily digest tells each workers and staff group its open orders, once a day', async () => {
    const { network } = d
    const digest = orderSchedules.find((s) => s.name === 'orders-daily-digest')!
    const tick = tickOf(new Date())
    const keyuan = botSays(network, WORKERS, '【每日工单】科园社区实践站')
    const district = botSays(
      network,
      '九龙坡区文明实践中心工作群',
      '【每日工单】九龙坡区文明实践中心',
    )
    await digest.run(d.services, tick)
    await digest.run(d.services, tick)
    expect((await keyuan).text).toMatch(/未办结 \d+ 单/)
    await district
    // Run again by hand (a retried job): the per-group message ids collapse.
    await sendDigest(d.services, localDay(tick, d.services.timezone))
    await new Promise((r) => setTimeout(r, 300))
    expect(network.botLines(WORKERS).filter((l) => l.startsWith('【每日工单】'))).toHaveLength(1)
  })

  it('an @bot request is an order too; 菜单 lists the catalogue by platform', async () => {
    const { network } = d
    const topic = '渝州路社区第一网格1栋居民群'
    const placed = botSays(network, topic, '已收到您的点单')
    network.say('wxid_xuzhiming', topic, `@${MOCK_BOT_NAME}\u2005我家老人独居，想请人帮忙送药`)
    expect((await placed).text).toContain('独居老人帮扶')
    const menu = botSays(network, topic, '可点的服务')
    network.say('wxid_xuzhiming', topic, '菜单')
    const lines = (await menu).text.split('\n')
    expect(lines).toContain('· 关爱帮扶：独居老人帮扶、困难群众帮扶、就业帮扶')
    expect(lines.filter((l) => l.startsWith('· '))).toHaveLength(10)
    expect((await menu).text).not.toContain('其他求助')
  })

  it('an institute matter with nobody to send it to: the institute is told, an admin dispatches, the volunteer hears privately', async () => {
    const { network } = d
    const topic = '科园社区第一网格2栋居民群'
    const institute = '石桥铺街道新时代文明实践所工作群'
    const placed = botSays(network, topic, '已收到您的点单')
    const unstaffed = botSays(network, institute, '【待派单】')
    network.say('wxid_gaojianguo', topic, '求助 儿子失业了想找工作')
    const code = codeIn((await placed).text)
    expect((await placed).text).toContain('（就业帮扶），由石桥铺街道新时代文明实践所办理。')
    expect((await unstaffed).text).toContain(code)

    // A private message reaches only the bot's contacts: 李娜 is one on this account.
    network.contact(network.account('bot-shiqiaopu'), 'wxid_lina')
    const reply = botSays(network, institute, `已将 ${code} 派给李娜`)
    network.say('wxid_zhaolei', institute, `派单 ${code} @李娜`)
    await reply
    const events = await eventsOf(d.t.db, code)
    const dispatchedEvent = events.at(-1)!
    expect(dispatchedEvent).toMatchObject({
      type: 'dispatched',
      actorRef: 'wxid_zhaolei',
      note: '李娜',
    })
    // No workers group from the institute up: 李娜 is told in a private chat.
    const queue = d.services.messenger.queueOf('bot-shiqiaopu')
    await until(async () => {
      const job = await queue.getJob(`order-${dispatchedEvent.id}-private`)
      return (
        job?.finishedOn !== undefined && 'roomId' in job.data && job.data.roomId === 'wxid_lina'
      )
    })
  })

  it("a private dispatch given up is reported to the unit's team", async () => {
    const { network } = d
    const topic = '科园社区第一网格2栋居民群'
    const institute = '石桥铺街道新时代文明实践所工作群'
    // The institute order of the test above, dispatched privately to 李娜.
    const byGao = await d.t.db
      .select()
      .from(orders)
      .where(eq(orders.residentRef, 'wxid_gaojianguo'))
      .orderBy(orders.id)
    const code = byGao.at(-1)!.code
    const reminded = botSays(network, institute, `【提醒】${code} 未能私信通知李娜（wxid_lina）`)
    const failed = orderSendHooks(d.services).order!.failed!
    const msg = { roomId: 'wxid_lina', text: '…', kind: 'dispatch' as const, ref: `order:${code}` }
    await failed(msg, code, 'not a contact')
    await reminded
    // A room message given up is only logged: no reminder about a group.
    const roomId = network.room(topic).room.id
    await failed({ ...msg, roomId }, code, 'room gone')
    await new Promise((r) => setTimeout(r, 200))
    expect(network.botLines(institute).filter((l) => l.startsWith('【提醒】'))).toHaveLength(1)
  })
})
