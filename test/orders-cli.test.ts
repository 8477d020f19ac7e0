import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliCommand } from '../cli/command.ts'
import { ordersCatalog } from '../cli/commands/orders-catalog.ts'
import { ordersList } from '../cli/commands/orders-list.ts'
import { pointsBalance } from '../cli/commands/points-balance.ts'
import { pointsReverse } from '../cli/commands/points-reverse.ts'
import { members } from '../db/schema/network.ts'
import { serviceCatalog } from '../db/schema/orders.ts'
import { placeOrder } from '../orders/intake.ts'
import { issuanceAccount, ledgerTotal, memberAccount, postTx } from '../orders/points.ts'
import { transfer } from '../orders/points-ledger.ts'
import { runCli } from './support/cli.ts'
import { type OrdersDistrict, startOrdersDistrict } from './support/orders-district.ts'

describe('orders and points CLI commands', () => {
  let o: OrdersDistrict
  beforeAll(async () => {
    o = await startOrdersDistrict()
  })
  afterAll(async () => {
    await o?.stop()
  })

  const run = (command: CliCommand, args: string[], flags: Record<string, string | true> = {}) =>
    runCli(command, { DATABASE_URL: o.t.url }, args, flags)

  async function order(topic: string, text: string, ref: string, hoursAgo = 0) {
    const group = await o.group(topic)
    const at = new Date(Date.now() - hoursAgo * 3600_000)
    const placed = await placeOrder(
      { ...o.services, now: () => at },
      {
        residentRef: ref,
        residentName: ref,
        groupId: group.id,
        unitId: group.unitId,
        text,
        verb: '点单',
      },
    )
    if (placed.kind !== 'placed') throw new Error(`not placed: ${placed.kind}`)
    return placed.order.code
  }

  it('orders list shows open orders, only overdue ones, or one subtree', async () => {
    const late = await order('科园社区第一网格1栋居民群', '楼道灯坏了', 'wxid_a', 3)
    const fresh = await order('西郊路社区第一网格1栋居民群', '想量血压', 'wxid_b')

    const all = await run(ordersList, [])
    expect(all.code).toBe(0)
    expect(all.lines[0]).toMatch(
      new RegExp(
        `^${late}  已派单待接单  公共设施维修  九龙坡区/石桥铺街道/科园社区/第一网格  孙丽  \\d\\d-\\d\\d \\d\\d:\\d\\d  超时$`,
      ),
    )
    expect(all.lines[1]).toContain(
      `${fresh}  已派单待接单  健康义诊  九龙坡区/杨家坪街道/西郊路社区`,
    )
    expect(all.lines.at(-1)).toBe('共 2 单，其中超时 1 单')

    const overdue = await run(ordersList, [], { overdue: true })
    expect(overdue.lines).toHaveLength(2)
    expect(overdue.lines[0]).toContain(late)

    const yangjiaping = await run(ordersList, [], { unit: '九龙坡区/杨家坪街道' })
    expect(yangjiaping.lines.map((l) => l.split('  ')[0])).toEqual([
      fresh,
      '共 1 单，其中超时 0 单',
    ])

    expect((await run(ordersList, [], { unit: '九龙坡区/没有这个街道' })).code).toBe(1)
    await expect(run(ordersList, [], { overdue: '九龙坡区' })).rejects.toThrow(/用法/)
  })

  it('points balance sums the ledger; points reverse corrects it once', async () => {
    const db = o.t.db
    const [sunli] = await db.select().from(members).where(eq(members.wechatId, 'wxid_sunli'))
    const tx = transfer(
      'order-999-rated',
      await issuanceAccount(db),
      await memberAccount(db, sunli!.id),
      20,
      '完成 A0999，志愿服务 2 小时',
    )
    await db.transaction((q) => postTx(q, tx))

    const byName = await run(pointsBalance, ['孙丽'])
    expect(byName.code).toBe(0)
    expect(byName.lines[0]).toBe('孙丽（wxid_sunli）爱心积分余额 20 分')
    expect(byName.lines[1]).toMatch(/\+20 {2}完成 A0999，志愿服务 2 小时 {2}\[order-999-rated\]$/)
    expect((await run(pointsBalance, ['wxid_sunli'])).lines[0]).toBe(byName.lines[0])

    const reversed = await run(pointsReverse, ['order-999-rated', '重复录入'])
    expect(reversed.lines).toEqual(['已冲正 order-999-rated'])
    expect((await run(pointsReverse, ['order-999-rated', '重复录入'])).lines[0]).toContain(
      '早已冲正',
    )
    expect((await run(pointsBalance, ['孙丽'])).lines[0]).toBe(
      '孙丽（wxid_sunli）爱心积分余额 0 分',
    )
    expect(await ledgerTotal(db)).toBe(0)

    expect((await run(pointsBalance, ['无名氏'])).code).toBe(1)
    expect((await run(pointsReverse, ['no-such', '原因'])).code).toBe(1)
    await expect(run(pointsReverse, ['order-999-rated'])).rejects.toThrow(/用法/)
    await expect(run(pointsBalance, [])).rejects.toThrow(/用法/)
  })

  it('orders catalog loads the file again without changing anything', async () => {
    const before = await o.t.db.select().from(serviceCatalog).orderBy(serviceCatalog.id)
    const loaded = await run(ordersCatalog, [])
    expect(loaded.lines[0]).toMatch(/^服务目录已载入：21 个类别/)
    expect(await o.t.db.select().from(serviceCatalog).orderBy(serviceCatalog.id)).toEqual(before)
    await expect(run(ordersCatalog, ['/no/such/file.json'])).rejects.toThrow(/no such file|ENOENT/)
  })
})
