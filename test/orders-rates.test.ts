import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ordersRates } from '../cli/commands/orders-rates.ts'
import { units } from '../db/schema/network.ts'
import { type OrderStatus, orderEvents, orders, serviceCatalog } from '../db/schema/orders.ts'
import { loadCatalog } from '../orders/catalogue.ts'
import { renderRatesChart } from '../orders/rates-chart.ts'
import { type RateRow, ratesCsv, serviceRates } from '../orders/service-rates.ts'
import { runCli } from './support/cli.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'
import { importSample } from './support/sample-services.ts'

const KEYUAN = '九龙坡区/石桥铺街道/科园社区'
const YUZHOU = '九龙坡区/石桥铺街道/渝州路社区'
const XIJIAO = '九龙坡区/杨家坪街道/西郊路社区'

// The period: June 2026 in Chongqing, [from, to).
const FROM = new Date('2026-06-01T00:00:00+08:00')
const TO = new Date('2026-07-01T00:00:00+08:00')

/** One order as the fixture states it: where, what, when placed, when accepted, how it ended. */
interface Fixture {
  unit: string
  category: 'facility-repair' | 'elderly-care'
  placed: string
  accepted?: string
  status: OrderStatus
  rating?: number
}

// facility-repair must be accepted within 60 minutes, elderly-care within 30 (the catalogue).
const FIXTURE: Fixture[] = [
  // 科园社区第一网格
  {
    unit: `${KEYUAN}/第一网格/1栋`,
    category: 'facility-repair',
    placed: '2026-06-02T10:00+08:00',
    accepted: '2026-06-02T10:30+08:00',
    status: 'rated',
    rating: 5,
  }, // on time, done, satisfied
  {
    unit: `${KEYUAN}/第一网格/1栋`,
    category: 'facility-repair',
    placed: '2026-06-03T10:00+08:00',
    accepted: '2026-06-03T11:30+08:00',
    status: 'done',
  }, // 90 min: late; done, unrated
  {
    unit: `${KEYUAN}/第一网格/2栋`,
    category: 'elderly-care',
    placed: '2026-06-04T09:00+08:00',
    accepted: '2026-06-04T09:20+08:00',
    status: 'rated',
    rating: 3,
  }, // on time, done, not satisfied
  {
    unit: `${KEYUAN}/第一网格/2栋`,
    category: 'elderly-care',
    placed: '2026-06-05T09:00+08:00',
    status: 'cancelled',
  }, // withdrawn unanswered
  // 科园社区第二网格
  {
    unit: `${KEYUAN}/第二网格/1栋`,
    category: 'facility-repair',
    placed: '2026-06-10T08:00+08:00',
    accepted: '2026-06-10T08:59+08:00',
    status: 'rated',
    rating: 4,
  },
  {
    unit: `${KEYUAN}/第二网格/1栋`,
    category: 'facility-repair',
    placed: '2026-06-11T08:00+08:00',
    accepted: '2026-06-11T09:00+08:00',
    status: 'accepted',
  }, // exactly 60 min: on time
  // 渝州路社区第一网格 (placed in the grid's own group), never taken
  {
    unit: `${YUZHOU}/第一网格`,
    category: 'facility-repair',
    placed: '2026-06-12T08:00+08:00',
    status: 'dispatched',
  },
  // 西郊路社区第一网格
  {
    unit: `${XIJIAO}/第一网格/1栋`,
    category: 'facility-repair',
    placed: '2026-06-15T08:00+08:00',
    accepted: '2026-06-15T08:10+08:00',
    status: 'rated',
    rating: 5,
  },
  // Outside the period: one minute before it, and at its (exclusive) end.
  {
    unit: `${KEYUAN}/第一网格/1栋`,
    category: 'facility-repair',
    placed: '2026-05-31T23:59+08:00',
    accepted: '2026-06-01T00:10+08:00',
    status: 'rated',
    rating: 1,
  },
  {
    unit: `${KEYUAN}/第一网格/1栋`,
    category: 'facility-repair',
    placed: '2026-07-01T00:00+08:00',
    status: 'dispatched',
  },
]

async function insertFixture(t: TestDatabase): Promise<void> {
  const unitIds = new Map(
    (await t.db.select({ id: units.id, path: units.path }).from(units)).map((u) => [u.path, u.id]),
  )
  const categoryIds = new Map(
    (
      await t.db.select({ id: serviceCatalog.id, code: serviceCatalog.code }).from(serviceCatalog)
    ).map((c) => [c.code, c.id]),
  )
  for (const [i, f] of FIXTURE.entries()) {
    const unitId = unitIds.get(f.unit)!
    const createdAt = new Date(f.placed)
    const [row] = await t.db
      .insert(orders)
      .values({
        code: `R${String(i + 1).padStart(4, '0')}`,
        residentRef: `wxid_fixture_${i}`,
        residentName: '居民',
        unitId,
        categoryId: categoryIds.get(f.category)!,
        text: '固定数据',
        status: f.status,
        handlingUnitId: unitId,
        rating: f.rating ?? null,
        createdAt,
        updatedAt: createdAt,
      })
      .returning({ id: orders.id })
    const events: { at: Date; type: string; toStatus: OrderStatus }[] = [
      { at: createdAt, type: 'placed', toStatus: 'placed' },
    ]
    if (f.accepted)
      events.push({ at: new Date(f.accepted), type: 'accepted', toStatus: 'accepted' })
    await t.db
      .insert(orderEvents)
      .values(events.map((e) => ({ ...e, orderId: row!.id, actorRef: 'fixture' })))
  }
}

/** What each row says, without ids. */
const figures = (rows: RateRow[]) =>
  rows.map((r) => ({
    rank: r.rank,
    path: r.path,
    placed: r.placed,
    responded: r.responded,
    completed: r.completed,
    rated: r.rated,
    satisfied: r.satisfied,
    responseRate: r.responseRate,
    completionRate: r.completionRate,
    satisfactionRate: r.satisfactionRate,
  }))

describe('三率 per unit against a hand-computed fixture', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
    await importSample(t.db)
    await loadCatalog(t.db)
    await insertFixture(t)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('counts each subtree, divides by hand, ranks within each tier', async () => {
    const rows = await serviceRates(t.db, { from: FROM, to: TO })
    expect(figures(rows)).toEqual([
      // District: the 8 June orders. Responded: the 5 on time (2 + 2 + 0 + 1); completed: 5
      // (rated or done: 3 in 第一网格, 1 in 第二网格, 1 in 西郊路); rated 4 (5, 3, 4, 5), 3 of them ≥ 4.
      {
        rank: 1,
        path: '九龙坡区',
        placed: 8,
        responded: 5,
        completed: 5,
        rated: 4,
        satisfied: 3,
        responseRate: 5 / 8,
        completionRate: 5 / 8,
        satisfactionRate: 3 / 4,
      },
      // 杨家坪: 1 order, all three 1/1 → mean 1.0; 石桥铺: 4/7, 4/7, 2/3 → mean 0.603.
      {
        rank: 1,
        path: '九龙坡区/杨家坪街道',
        placed: 1,
        responded: 1,
        completed: 1,
        rated: 1,
        satisfied: 1,
        responseRate: 1,
        completionRate: 1,
        satisfactionRate: 1,
      },
      {
        rank: 2,
        path: '九龙坡区/石桥铺街道',
        placed: 7,
        responded: 4,
        completed: 4,
        rated: 3,
        satisfied: 2,
        responseRate: 4 / 7,
        completionRate: 4 / 7,
        satisfactionRate: 2 / 3,
      },
      // 西郊路 1.0; 科园 4/6, 4/6, 2/3 → 0.667; 渝州路 0/1, 0/1, none rated → 0.
      {
        rank: 1,
        path: XIJIAO,
        placed: 1,
        responded: 1,
        completed: 1,
        rated: 1,
        satisfied: 1,
        responseRate: 1,
        completionRate: 1,
        satisfactionRate: 1,
      },
      {
        rank: 2,
        path: KEYUAN,
        placed: 6,
        responded: 4,
        completed: 4,
        rated: 3,
        satisfied: 2,
        responseRate: 4 / 6,
        completionRate: 4 / 6,
        satisfactionRate: 2 / 3,
      },
      {
        rank: 3,
        path: YUZHOU,
        placed: 1,
        responded: 0,
        completed: 0,
        rated: 0,
        satisfied: 0,
        responseRate: 0,
        completionRate: 0,
        satisfactionRate: null,
      },
      // Grids: 西郊路一 1.0; 科园二 2/2, 1/2, 1/1 → 0.833; 科园一 2/4, 3/4, 1/2 → 0.583 (the 90-minute
      // accept is late, the withdrawn order counts as placed); 渝州路一 0; two grids without orders last, by path.
      {
        rank: 1,
        path: `${XIJIAO}/第一网格`,
        placed: 1,
        responded: 1,
        completed: 1,
        rated: 1,
        satisfied: 1,
        responseRate: 1,
        completionRate: 1,
        satisfactionRate: 1,
      },
      {
        rank: 2,
        path: `${KEYUAN}/第二网格`,
        placed: 2,
        responded: 2,
        completed: 1,
        rated: 1,
        satisfied: 1,
        responseRate: 1,
        completionRate: 0.5,
        satisfactionRate: 1,
      },
      {
        rank: 3,
        path: `${KEYUAN}/第一网格`,
        placed: 4,
        responded: 2,
        completed: 3,
        rated: 2,
        satisfied: 1,
        responseRate: 0.5,
        completionRate: 0.75,
        satisfactionRate: 0.5,
      },
      {
        rank: 4,
        path: `${YUZHOU}/第一网格`,
        placed: 1,
        responded: 0,
        completed: 0,
        rated: 0,
        satisfied: 0,
        responseRate: 0,
        completionRate: 0,
        satisfactionRate: null,
      },
      {
        rank: 5,
        path: `${XIJIAO}/第二网格`,
        placed: 0,
        responded: 0,
        completed: 0,
        rated: 0,
        satisfied: 0,
        responseRate: null,
        completionRate: null,
        satisfactionRate: null,
      },
      {
        rank: 6,
        path: `${YUZHOU}/第二网格`,
        placed: 0,
        responded: 0,
        completed: 0,
        rated: 0,
        satisfied: 0,
        responseRate: null,
        completionRate: null,
        satisfactionRate: null,
      },
    ])
  })

  it('limits to a subtree and to tiers; slaScale shortens the accept clock', async () => {
    const keyuan = await serviceRates(t.db, { from: FROM, to: TO, unitPath: KEYUAN, tiers: [3, 4] })
    expect(keyuan.map((r) => [r.path, r.placed, r.responded])).toEqual([
      [KEYUAN, 6, 4],
      [`${KEYUAN}/第二网格`, 2, 2],
      [`${KEYUAN}/第一网格`, 4, 2],
    ])
    // At half the SLA, only the accepts within 30 min (facility) / 15 min (elderly) count:
    // 第一网格's 10:30 (30 min) still does, 09:20 (20 min > 15) no longer: 1 of 4.
    const half = await serviceRates(t.db, {
      from: FROM,
      to: TO,
      unitPath: `${KEYUAN}/第一网格`,
      tiers: [4],
      slaScale: 0.5,
    })
    expect(half.map((r) => [r.placed, r.responded])).toEqual([[4, 1]])
  })

  it('CSV, chart and CLI show the same figures, text escaped', async () => {
    const rows = await serviceRates(t.db, { from: FROM, to: TO, tiers: [3] })
    const csv = ratesCsv(rows)
    expect(
      csv.startsWith(
        '\uFEFF排名,单位,层级,点单数,按时响应数,响应率,办结数,办结率,评价数,满意数,满意率\r\n',
      ),
    ).toBe(true)
    expect(csv).toContain(`2,${KEYUAN},社区,6,4,66.7%,4,66.7%,3,2,66.7%\r\n`)
    expect(csv).toContain(`3,${YUZHOU},社区,1,0,0.0%,0,0.0%,0,0,—\r\n`)

    const hostile = renderRatesChart(
      [{ ...rows[0]!, path: '九龙坡区/<img src=x onerror=alert(1)>&"' }],
      '三率 <b>',
    )
    expect(hostile).not.toContain('<img')
    expect(hostile).not.toContain('<b>')
    expect(hostile).toContain('1. &lt;img src=x onerror=alert(1)&gt;&amp;&quot;</text>')
    const chart = renderRatesChart(rows)
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    // 科园社区's 办结率 bar: 4/6 of the 440 px scale.
    expect(chart).toContain('2. 科园社区')
    expect(chart).toContain('width="293.3" height="10" fill="#16a34a"')

    const env = { DATABASE_URL: t.url, TIMEZONE: 'Asia/Shanghai' }
    const printed = await runCli(ordersRates, env, [], {
      from: '2026-06-01',
      to: '2026-06-30',
      unit: KEYUAN,
      tier: '3',
    })
    expect(printed.code).toBe(0)
    expect(printed.lines).toEqual([
      '统计期：2026-06-01 00:00 至 2026-07-01 00:00（按点单时间）',
      `社区 第1名  ${KEYUAN}  点单 6  响应率 66.7%（4/6）  办结率 66.7%（4/6）  满意率 66.7%（2/3）`,
    ])
    const file = join(tmpdir(), `rates-${process.pid}.csv`)
    const written = await runCli(ordersRates, env, [], {
      from: '2026-06-01',
      to: '2026-06-30',
      tier: '3',
      out: file,
    })
    expect(written.lines.at(-1)).toBe(`已写入 ${file}（3 个单位）`)
    expect(await readFile(file, 'utf8')).toBe(csv)

    const bad = await runCli(ordersRates, env, [], { from: '2026-02-30' }).catch((e: Error) => e)
    expect((bad as Error).message).toBe('--from 不是日期：「2026-02-30」（例如 2025-06-01）')
    const badTier = await runCli(ordersRates, env, [], { tier: '1,9' }).catch((e: Error) => e)
    expect((badTier as Error).message).toContain('--tier 须为 1 到 5 的层级')
  })

  it('an unknown unit is refused by name', async () => {
    const unknown = await runCli(ordersRates, { DATABASE_URL: t.url }, [], {
      unit: '九龙坡区/不存在街道',
    })
    expect(unknown).toEqual({ code: 1, lines: ['未找到单位「九龙坡区/不存在街道」'] })
  })
})
