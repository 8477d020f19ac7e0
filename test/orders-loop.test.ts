import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { members } from '../db/schema/network.ts'
import { pointsAccounts, pointsEntries } from '../db/schema/orders.ts'
import { ledgerTotal, memberBalance, unbalancedTxIds } from '../orders/points.ts'
import { earningTxId } from '../orders/rating.ts'
import { botSays, codeIn, eventsOf, orderByCode } from './support/orders-helpers.ts'
import { type SampleDistrict, startSampleDistrict } from './support/sample-district.ts'

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

    // 接单 in her grid's group; the resident hears it in hers.
    const acceptedReply = botSays(network, GRID, `已接单 ${code}`)
    const residentToldAccepted = botSays(network, BUILDING, '已由孙丽接单')
    network.say('wxid_sunli', GRID, `接单 ${code}`)
    await acceptedReply
    await residentToldAccepted

    // 完成 with the hours worked; the resident is asked to rate.
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
})
