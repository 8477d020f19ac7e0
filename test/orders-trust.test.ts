import { and, asc, eq, inArray, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TalkerLimit } from '../bot/talker-limit.ts'
import { pointsApprove, pointsReject, pointsReview } from '../cli/commands/points-review.ts'
import { auditLog } from '../db/schema/audit.ts'
import { groups, members } from '../db/schema/network.ts'
import { orders, pointsEntries, pointsPending } from '../db/schema/orders.ts'
import { prepareOrder } from '../orders/intake.ts'
import { placeBatch } from '../orders/intake-batch.ts'
import { similarNeed } from '../orders/intake-rules.ts'
import { ledgerTotal, memberBalance, unbalancedTxIds } from '../orders/points.ts'
import { earningTxId } from '../orders/rating.ts'
import { runCli } from './support/cli.ts'
import { botSays, codeIn, orderByCode } from './support/orders-helpers.ts'
import { type SampleDistrict, startSampleDistrict } from './support/sample-district.ts'

const GRID = '科园社区第一网格居民群'
const BUILDING = '科园社区第一网格1栋居民群'
const BUILDING2 = '科园社区第一网格2栋居民群'
const WORKERS = '科园社区志愿服务工作群'

/** The refused chat moves in audit_log, as [action, actor, code]. */
async function refusalsOf(d: SampleDistrict, code: string) {
  const rows = await d.t.db
    .select()
    .from(auditLog)
    .where(and(like(auditLog.action, 'order.%'), eq(auditLog.allowed, false)))
    .orderBy(asc(auditLog.id))
  return rows
    .filter((r) => (r.detail as { code?: string } | null)?.code === code)
    .map((r) => [r.action, r.actorRef])
}

describe('trust: nobody earns from their own order; hours and days are bounded', () => {
  let d: SampleDistrict
  let sunliId: number
  beforeAll(async () => {
    d = await startSampleDistrict({ orders: { pointsPerDay: 45 } })
    // 孙丽 works several orders within a minute here: the bot's per-talker answer limit (5 a
    // minute, a flood guard tested in bot-trust) is widened for this process's accounts.
    for (const account of d.bots.accounts) Object.assign(account, { limit: new TalkerLimit(1_000) })
    const [sunli] = await d.t.db.select().from(members).where(eq(members.wechatId, 'wxid_sunli'))
    sunliId = sunli!.id
  })
  afterAll(async () => {
    await d?.stop()
  })

  /** `who` says `text` in `topic` and the bot answers there with `expect`. */
  async function ask(who: string, topic: string, text: string, answer: string) {
    const said = botSays(d.network, topic, answer)
    d.network.say(who, topic, text)
    return (await said).text
  }

  /** A resident's repair order, worked by 孙丽 with `note`, rated 5; the workers' line. */
  async function served(resident: string, topic: string, need: string, note: string) {
    const code = codeIn(await ask(resident, topic, `点单 ${need}`, '已收到您的点单'))
    expect((await orderByCode(d.t.db, code))?.assigneeMemberId).toBe(sunliId)
    await ask('wxid_sunli', WORKERS, `接单 ${code}`, `已接单 ${code}`)
    await ask('wxid_sunli', GRID, `完成 ${code} ${note}`, `${code} 已办结`)
    const told = botSays(d.network, WORKERS, `【评价】${code}`)
    await ask(resident, topic, `评价 ${code} 5`, '感谢您的评价')
    return { code, told: (await told).text }
  }

  it('a grid worker’s own 报修: not auto-assigned to her, 接单 and 派单 to her refused and audited, no points', async () => {
    const db = d.t.db
    const placed = await ask('wxid_sunli', GRID, '报修 楼道灯坏了', '已收到您的点单')
    const code = codeIn(placed)
    // She is her grid's only worker: skipped, the order waits for the station to dispatch.
    expect(placed).not.toContain('已派给')
    expect(await orderByCode(db, code)).toMatchObject({
      residentRef: 'wxid_sunli',
      status: 'placed',
      assigneeMemberId: null,
    })

    expect(await ask('wxid_sunli', GRID, `接单 ${code}`, '不能自己接单')).toContain(code)
    expect(await ask('wxid_zhangwei', WORKERS, `派单 ${code} @孙丽`, '不能派给本人办理')).toContain(
      code,
    )
    await ask('wxid_sunli', GRID, `完成 ${code} 用时24小时`, `单号 ${code} 还没有接单`)
    await ask('wxid_sunli', GRID, `评价 ${code} 5星`, `单号 ${code} 还没有办结`)
    expect(await orderByCode(db, code)).toMatchObject({ status: 'placed', assigneeMemberId: null })
    expect(await refusalsOf(d, code)).toEqual([
      ['order.accept', 'wxid_sunli'],
      ['order.dispatch', 'wxid_zhangwei'],
      ['order.complete', 'wxid_sunli'],
      ['order.rate', 'wxid_sunli'],
    ])

    // An order assigned to her before this rule (written straight to the row): she completes
    // it "用时24小时" and rates it 5 herself; it closes, and posts nothing, held or not.
    await db
      .update(orders)
      .set({ status: 'accepted', assigneeMemberId: sunliId })
      .where(eq(orders.code, code))
    await ask('wxid_sunli', GRID, `完成 ${code} 用时24小时`, `${code} 已办结`)
    await ask('wxid_sunli', GRID, `评价 ${code} 5`, '感谢您的评价')
    const order = await orderByCode(db, code)
    expect(order).toMatchObject({ status: 'rated', rating: 5 })
    expect(await memberBalance(db, sunliId)).toBe(0)
    expect(await db.$count(pointsEntries, eq(pointsEntries.txId, earningTxId(order!.id)))).toBe(0)
    expect(await db.$count(pointsPending)).toBe(0)
  })

  it('caps hours at the catalogue’s maxHours and points per day; held points count only once approved', async () => {
    const db = d.t.db
    // "用时24小时" on a repair: the catalogue's maxHours for facility-repair is 4 → 40 points.
    const first = await served('wxid_linxiuying', BUILDING, '楼道灯坏了', '用时24小时')
    expect(first.told).toContain('孙丽 获爱心积分 40 分，累计 40 分')
    expect(await memberBalance(db, sunliId)).toBe(40)
    const [entry] = await db
      .select()
      .from(pointsEntries)
      .where(
        and(
          eq(pointsEntries.txId, earningTxId((await orderByCode(db, first.code))!.id)),
          eq(pointsEntries.amount, 40),
        ),
      )
    expect(entry?.reason).toBe(`完成 ${first.code}，志愿服务 4 小时`)

    // 40 + 20 > 45 a day: the 20 wait for review, outside the balance.
    const second = await served(
      'wxid_gaojianguo',
      BUILDING2,
      '水管漏水了 麻烦来修一下',
      '用时2小时',
    )
    expect(second.told).toContain('孙丽 本单爱心积分 20 分超出每日上限，待站点审核后入账')
    expect(await memberBalance(db, sunliId)).toBe(40)
    const held = await db.select().from(pointsPending)
    expect(held.map((p) => [p.memberId, p.amount, p.status])).toEqual([[sunliId, 20, 'pending']])

    // 40 + 5 = 45: within the cap, posted at once.
    const third = await served('wxid_linxiuying', BUILDING, '单元门坏了', '用时半小时')
    expect(third.told).toContain('孙丽 获爱心积分 5 分，累计 45 分')
    expect(await memberBalance(db, sunliId)).toBe(45)

    const run = (command: typeof pointsReview, args: string[]) =>
      runCli(command, { DATABASE_URL: d.t.url }, args)
    const review = await run(pointsReview, [])
    expect(review.code).toBe(0)
    expect(review.lines).toHaveLength(2)
    expect(review.lines[0]).toMatch(
      new RegExp(
        `^#${held[0]!.id} {2}\\d\\d-\\d\\d \\d\\d:\\d\\d {2}孙丽（wxid_sunli） {2}\\+20 {2}完成 ${second.code}，志愿服务 2 小时$`,
      ),
    )
    expect(review.lines[1]).toBe('共 1 笔待审核，合计 20 分')

    // Approval adds exactly the held 20, once.
    const approved = await run(pointsApprove, [String(held[0]!.id), '已核实'])
    expect(approved).toEqual({
      code: 0,
      lines: [`已批准 #${held[0]!.id}：孙丽 入账 20 分，余额 65 分`],
    })
    expect(await memberBalance(db, sunliId)).toBe(65)
    expect((await run(pointsApprove, [`#${held[0]!.id}`])).code).toBe(1)
    expect(await memberBalance(db, sunliId)).toBe(65)

    // The day's cap counts what posted at once (45), not what a station approved: 45 + 10 > 45.
    const fourth = await served('wxid_gaojianguo', BUILDING2, '楼道扶手松了', '用时1小时')
    expect(fourth.told).toContain('待站点审核后入账')
    expect(await memberBalance(db, sunliId)).toBe(65)
    const [again] = await db.select().from(pointsPending).where(eq(pointsPending.status, 'pending'))
    expect(again?.amount).toBe(10)
    expect(await run(pointsReject, [String(again!.id), '用时不实'])).toEqual({
      code: 0,
      lines: [`已驳回 #${again!.id}：孙丽 的 10 分不入账`],
    })
    expect(await memberBalance(db, sunliId)).toBe(65)
    expect((await run(pointsReview, [])).lines).toEqual(['没有待审核的爱心积分。'])
    await expect(run(pointsApprove, ['abc'])).rejects.toThrow(/用法/)

    // Decisions are audited with the operator who made them.
    const decisions = await db
      .select()
      .from(auditLog)
      .where(inArray(auditLog.action, ['points.approve', 'points.reject']))
      .orderBy(asc(auditLog.id))
    expect(decisions.map((a) => [a.action, a.allowed])).toEqual([
      ['points.approve', true],
      ['points.approve', false],
      ['points.reject', true],
    ])
    for (const a of decisions) expect(a.actorRef).toMatch(/^cli:/)
    expect(decisions[0]!.detail).toMatchObject({ amount: 20, memberId: sunliId })

    expect(await ledgerTotal(db)).toBe(0)
    expect(await unbalancedTxIds(db)).toEqual([])
  })
})

describe('trust: the duplicate rule merges only the same resident repeating the same need', () => {
  let d: SampleDistrict
  beforeAll(async () => {
    d = await startSampleDistrict()
  })
  afterAll(async () => {
    await d?.stop()
  })

  async function ask(who: string, topic: string, text: string, answer: string) {
    const said = botSays(d.network, topic, answer)
    d.network.say(who, topic, text)
    return (await said).text
  }

  it('two residents, one group, one category, one day: two orders, each 进度 their own; a repeat merges', async () => {
    const db = d.t.db
    const topic = '渝州路社区第一网格1栋居民群'
    const hers = '楼道灯坏了，我住5栋，电话13912345678'
    const first = codeIn(await ask('wxid_xuzhiming', topic, `点单 ${hers}`, '已收到您的点单'))
    // A neighbour's other need of the same category, and another's very same words.
    const second = codeIn(await ask('wxid_songyumei', topic, '点单 厨房水管坏了', '已收到您的点单'))
    const third = codeIn(await ask('wxid_tangxiaolong', topic, '点单 楼道灯坏了', '已收到您的点单'))
    expect(new Set([first, second, third]).size).toBe(3)
    const rows = await Promise.all([first, second, third].map((c) => orderByCode(db, c)))
    expect(rows.map((r) => [r?.residentRef, r?.text])).toEqual([
      ['wxid_xuzhiming', hers],
      ['wxid_songyumei', '厨房水管坏了'],
      ['wxid_tangxiaolong', '楼道灯坏了'],
    ])
    expect(new Set(rows.map((r) => r?.categoryId)).size).toBe(1)
    expect(new Set(rows.map((r) => r?.groupId)).size).toBe(1)

    // Each 进度 is the asker's own order: nobody is shown the first resident's phone number.
    const neighbour = await ask('wxid_songyumei', topic, `进度 ${second}`, `${second} 公共设施维修`)
    expect(neighbour).toContain('厨房水管坏了')
    expect(neighbour).not.toContain('13912345678')
    const other = await ask('wxid_tangxiaolong', topic, `进度 ${third}`, `${third} 公共设施维修`)
    expect(other).not.toContain('13912345678')
    expect(await ask('wxid_xuzhiming', topic, `进度 ${first}`, `${first} 公共设施维修`)).toContain(
      '13912345678',
    )
    // A neighbour in the same group typing her code sees the need, not her number or door.
    const typed = await ask('wxid_tangxiaolong', topic, `进度 ${first}`, `${first} 公共设施维修`)
    expect(typed).toContain('徐* 点单：楼道灯坏了，我住*栋，电话139****5678')
    expect(typed).not.toContain('13912345678')
    // The handling station's staff see it whole.
    expect(await ask('wxid_huangmin', topic, `进度 ${first}`, `${first} 公共设施维修`)).toContain(
      '13912345678',
    )

    // The first resident saying it again, in more words: merged into her open order.
    const repeat = await ask('wxid_xuzhiming', topic, `点单 ${hers}，快来修一下！`, '已有相同点单')
    expect(codeIn(repeat)).toBe(first)
    expect(await db.$count(orders, eq(orders.residentRef, 'wxid_xuzhiming'))).toBe(1)
    const group = rows[0]!.groupId!
    expect(await db.$count(orders, eq(orders.groupId, group))).toBe(3)
  })

  it('in one batch too: the same words from two residents are two orders, from one resident one', async () => {
    const db = d.t.db
    const topic = '渝州路社区第二网格1栋居民群'
    const [row] = await db
      .select({ id: groups.id, unitId: groups.unitId })
      .from(groups)
      .where(eq(groups.topic, topic))
    const { id: groupId, unitId } = row!
    const input = (residentRef: string, text: string) =>
      prepareOrder(d.services, {
        residentRef,
        residentName: residentRef,
        groupId,
        unitId,
        text,
        verb: '点单',
      })
    const batch = await Promise.all(
      [
        ['wxid_batch_a', '厨房水管坏了'],
        ['wxid_batch_b', '厨房水管坏了'],
        ['wxid_batch_a', '厨房水管坏了！！'],
        ['wxid_batch_c', '下水道堵了'],
      ].map(async ([ref, text]) => ({ services: d.services, prepared: await input(ref!, text!) })),
    )
    const outcomes = await placeBatch(db, batch)
    expect(outcomes.map((o) => o.kind)).toEqual(['placed', 'placed', 'duplicate', 'placed'])
    const codes = outcomes.map((o) =>
      o.kind === 'placed' ? o.last.order.code : o.kind === 'duplicate' ? o.code : '',
    )
    expect(codes[2]).toBe(codes[0])
    expect(new Set([codes[0], codes[1], codes[3]]).size).toBe(3)
    expect(
      await db.$count(orders, inArray(orders.residentRef, ['wxid_batch_a', 'wxid_batch_b'])),
    ).toBe(2)
  })

  it('similar needs, pure', () => {
    expect(similarNeed('楼道灯坏了', '楼道灯坏了！')).toBe(true)
    expect(similarNeed('楼道灯坏了', '楼道的灯坏了，快来修')).toBe(true)
    expect(similarNeed('楼道灯坏了', '厨房水管坏了')).toBe(false)
    expect(similarNeed('3栋楼道灯坏了', '5栋楼道灯坏了')).toBe(false)
    expect(similarNeed('', '楼道灯坏了')).toBe(false)
  })
})
