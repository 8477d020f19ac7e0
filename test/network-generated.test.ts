import { asc, count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { botAccounts, groups } from '../db/schema/network.ts'
import { generateCity, generateDistrictCsv } from '../fixtures/generate-district.ts'
import { importNetwork } from '../network/import.ts'
import {
  countGroupsByTier,
  countUnitsByTier,
  findUnitByPath,
  subtreeGroups,
} from '../network/queries.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

describe('the generated Jiulongpo-sized district', () => {
  let t: TestDatabase
  const bytes = new TextEncoder().encode(generateDistrictCsv())
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t.close()
  })

  it('imports 11,181 groups in one transaction, and again as a no-op', async () => {
    let started = performance.now()
    const result = await importNetwork(t.db, bytes)
    const ms = performance.now() - started
    console.log(`generated district import on PostgreSQL: ${Math.round(ms)} ms`)
    expect(result).toMatchObject({
      ok: true,
      created: { units: 9_473, groups: 11_181, botAccounts: 22, members: 1_574, roles: 1_574 },
    })
    started = performance.now()
    const again = await importNetwork(t.db, bytes)
    console.log(
      `generated district re-import (no change): ${Math.round(performance.now() - started)} ms`,
    )
    expect(again).toMatchObject({
      ok: true,
      unchanged: { units: 9_473, groups: 11_181, botAccounts: 22, members: 1_574, roles: 1_574 },
    })
  })

  it('counts the Jiulongpo shape per tier from the root', async () => {
    const root = (await findUnitByPath(t.db, '九龙坡区'))!
    expect(await countUnitsByTier(t.db, root.id)).toEqual({
      1: 1,
      2: 22,
      3: 150,
      4: 1_100,
      5: 8_200,
    })
    expect(await countGroupsByTier(t.db, root.id)).toEqual({
      1: 1,
      2: 180,
      3: 600,
      4: 2_200,
      5: 8_200,
    })
  })

  it('spreads groups over accounts of about 500, a community subtree on one account', async () => {
    const perAccount = await t.db
      .select({ name: botAccounts.name, n: count() })
      .from(groups)
      .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
      .groupBy(botAccounts.name)
      .orderBy(asc(botAccounts.name))
    expect(perAccount).toHaveLength(22)
    for (const { n } of perAccount) expect(n).toBeGreaterThan(400)
    for (const { n } of perAccount) expect(n).toBeLessThan(600)
    const street = (await findUnitByPath(t.db, '九龙坡区/石桥铺街道'))!
    const streetGroups = await subtreeGroups(t.db, street.id)
    const perCommunity = new Map<string, Set<number | null>>()
    for (const g of streetGroups) {
      if (g.tier < 3) continue
      const community = g.unitPath.split('/').slice(0, 3).join('/')
      perCommunity.set(community, (perCommunity.get(community) ?? new Set()).add(g.botAccountId))
    }
    expect(perCommunity.size).toBe(12)
    for (const accounts of perCommunity.values()) expect(accounts.size).toBe(1)
    // About 870 groups on accounts of about 500: two or three accounts, never scattered.
    expect(new Set(streetGroups.map((g) => g.botAccountId)).size).toBeLessThanOrEqual(3)
  })
})

describe('a generated city (bench/city.ts)', () => {
  it('starts with the district exactly as generated alone, then districts of their own', () => {
    expect(generateCity({ districts: 1, groups: 400 }).csv).toBe(
      generateDistrictCsv({ groups: 400 }),
    )
    const lines = generateCity({ districts: 3, groups: 400 }).csv.trim().split('\n').slice(1)
    const roots = lines.map((l) => l.split(',')[0]!).filter((path) => !path.includes('/'))
    expect(new Set(roots).size).toBe(3)
    // No two districts share a group topic or a bot account name.
    const topics = lines.flatMap((l) => (l.split(',')[2] ?? '').split(';')).filter(Boolean)
    expect(new Set(topics).size).toBe(topics.length)
    expect(() => generateCity({ districts: 0 })).toThrow(RangeError)
  })
})
