import { readFileSync } from 'node:fs'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Caches } from '../core/caches.ts'
import { openDatabase } from '../db/client.ts'
import { groups, units } from '../db/schema/network.ts'
import { findGroupByRoomId } from '../network/groups.ts'
import { importNetwork } from '../network/import.ts'
import {
  ancestors,
  countGroupsByTier,
  countUnitsByTier,
  findUnitByPath,
  findUnitsByName,
  subtreeGroups,
  subtreeUnits,
} from '../network/queries.ts'
import { findMemberByWechatId } from '../network/roles.ts'
import { lookUpSenders } from '../network/senders.ts'
import type { Unit } from '../network/types.ts'
import { unitChainsOf } from '../network/unit-chains.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

const sample = readFileSync(new URL('../fixtures/sample-district.csv', import.meta.url))

describe('network queries on the sample district', () => {
  let t: TestDatabase
  let district: Unit
  let keyuan: Unit
  beforeAll(async () => {
    t = await createTestDatabase()
    const result = await importNetwork(t.db, sample)
    expect(result.ok).toBe(true)
    district = (await findUnitByPath(t.db, '九龙坡区'))!
    keyuan = (await findUnitByPath(t.db, '九龙坡区/石桥铺街道/科园社区'))!
  })
  afterAll(async () => {
    await t.close()
  })

  it('find a unit by path, forgiving full-width characters and spaces', async () => {
    expect(district).toMatchObject({ tier: 1, name: '九龙坡区', parentId: null, body: 'centre' })
    expect(await findUnitByPath(t.db, ' 九龙坡区／石桥铺街道／科园社区 ')).toEqual(keyuan)
    expect(await findUnitByPath(t.db, '九龙坡区/不存在')).toBeUndefined()
    expect(await findUnitByPath(t.db, '九龙坡区//科园社区')).toBeUndefined()
  })

  it('find units by their own name', async () => {
    const grids = await findUnitsByName(t.db, '第一网格')
    expect(grids.map((u) => u.path)).toEqual([
      '九龙坡区/杨家坪街道/西郊路社区/第一网格',
      '九龙坡区/石桥铺街道/渝州路社区/第一网格',
      '九龙坡区/石桥铺街道/科园社区/第一网格',
    ])
    expect(await findUnitsByName(t.db, '九龙坡区')).toEqual([district])
  })

  it('count units and groups per tier as the CSV has them', async () => {
    expect(await countUnitsByTier(t.db, district.id)).toEqual({ 1: 1, 2: 2, 3: 3, 4: 6, 5: 12 })
    expect(await countGroupsByTier(t.db, district.id)).toEqual({ 1: 1, 2: 2, 3: 6, 4: 6, 5: 12 })
    const street = (await findUnitByPath(t.db, '九龙坡区/杨家坪街道'))!
    expect(await countUnitsByTier(t.db, street.id)).toEqual({ 1: 0, 2: 1, 3: 1, 4: 2, 5: 4 })
    expect(await countGroupsByTier(t.db, keyuan.id)).toEqual({ 1: 0, 2: 0, 3: 2, 4: 2, 5: 4 })
    expect(await countUnitsByTier(t.db, -1)).toEqual({ 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 })
  })

  it('list a subtree with the unit itself, by tier then path, optionally some tiers only', async () => {
    const all = await subtreeUnits(t.db, keyuan.id)
    expect(all.map((u) => u.path.replace('九龙坡区/石桥铺街道/', ''))).toEqual([
      '科园社区',
      '科园社区/第一网格',
      '科园社区/第二网格',
      '科园社区/第一网格/1栋',
      '科园社区/第一网格/2栋',
      '科园社区/第二网格/1栋',
      '科园社区/第二网格/2栋',
    ])
    const buildings = await subtreeUnits(t.db, district.id, { tiers: [5] })
    expect(buildings).toHaveLength(12)
    expect(buildings.every((u) => u.tier === 5)).toBe(true)
  })

  it('list a subtree’s groups with their unit, filtered by tier, kind and activity', async () => {
    const all = await subtreeGroups(t.db, district.id)
    expect(all).toHaveLength(27)
    expect(all.map((g) => g.tier)).toEqual([...all.map((g) => g.tier)].sort())
    expect(all[0]).toMatchObject({
      topic: '九龙坡区文明实践中心工作群',
      kind: 'staff',
      tier: 1,
      unitPath: '九龙坡区',
      unitId: district.id,
      active: true,
    })
    const workers = await subtreeGroups(t.db, district.id, { kinds: ['workers'] })
    expect(workers.map((g) => g.topic)).toEqual([
      '西郊路社区志愿服务工作群',
      '渝州路社区志愿服务工作群',
      '科园社区志愿服务工作群',
    ])
    const grids = await subtreeGroups(t.db, keyuan.id, { tiers: [4] })
    expect(grids.map((g) => g.topic)).toEqual(['科园社区第一网格居民群', '科园社区第二网格居民群'])

    await t.db
      .update(groups)
      .set({ active: false })
      .where(eq(groups.topic, '科园社区第一网格居民群'))
    const active = await subtreeGroups(t.db, keyuan.id, { tiers: [4], activeOnly: true })
    expect(active.map((g) => g.topic)).toEqual(['科园社区第二网格居民群'])
    await t.db
      .update(groups)
      .set({ active: true })
      .where(eq(groups.topic, '科园社区第一网格居民群'))
  })

  it('walk from a building up to the district', async () => {
    const building = (await findUnitByPath(t.db, '九龙坡区/石桥铺街道/科园社区/第一网格/1栋'))!
    const chain = await ancestors(t.db, building.id)
    expect(chain.map((u) => u.name)).toEqual([
      '1栋',
      '第一网格',
      '科园社区',
      '石桥铺街道',
      '九龙坡区',
    ])
    expect(chain.map((u) => u.tier)).toEqual([5, 4, 3, 2, 1])
    expect(await ancestors(t.db, district.id)).toEqual([district])
  })

  it('read the chains of many units asked for at once, each its own, an unknown unit none', async () => {
    const all = await subtreeUnits(t.db, district.id)
    expect(all.length).toBeGreaterThan(20)
    // Asked together, the chains not cached yet are read in one batch.
    const [unknown, ...chains] = await Promise.all([
      ancestors(t.db, 2_000_000_000),
      ...all.map((u) => ancestors(t.db, u.id)),
    ])
    expect(unknown).toEqual([])
    all.forEach((unit, i) => {
      const chain = chains[i]!
      expect(chain[0]).toEqual(unit)
      expect(chain.at(-1)).toEqual(district)
      expect(chain.map((u) => u.tier)).toEqual(
        Array.from({ length: unit.tier }, (_, k) => unit.tier - k),
      )
      for (let k = 1; k < chain.length; k++) {
        expect(chain[k - 1]!.path.startsWith(`${chain[k]!.path}/`)).toBe(true)
      }
    })
  })

  it('look up the rooms and talkers of many messages in one go, warming the chains of order rooms', async () => {
    // Caches of their own: the chain cache is per Services, and this one has read nothing yet.
    const fresh = openDatabase({ url: t.url, max: 1 })
    const services = { db: fresh.db, caches: new Caches() }
    const grid = (await findUnitByPath(t.db, '九龙坡区/石桥铺街道/科园社区/第一网格'))!
    await t.db
      .update(groups)
      .set({ roomId: 'warm-room@chatroom' })
      .where(eq(groups.topic, '科园社区第一网格居民群'))
    try {
      const found = await lookUpSenders(services, {
        rooms: ['warm-room@chatroom', 'no-such-room@chatroom', 'warm-room@chatroom'],
        talkers: ['wxid_wangfang', 'wxid_resident', 'wxid_liuyang'],
        chainRooms: ['warm-room@chatroom', 'no-such-room@chatroom'],
      })
      // What the one-at-a-time look-ups answer, for each key asked; nothing for the unknown.
      const group = await findGroupByRoomId(t.db, 'warm-room@chatroom')
      expect(group).toMatchObject({ unitId: grid.id, unitPath: grid.path, tier: grid.tier })
      expect([...found.groups]).toEqual([['warm-room@chatroom', group]])
      const staff = ['wxid_wangfang', 'wxid_liuyang']
      expect([...found.members.keys()].sort()).toEqual(staff.sort())
      for (const wx of staff) {
        const member = await findMemberByWechatId(t.db, wx)
        expect(member?.grants.length).toBeGreaterThan(0)
        expect(found.members.get(wx)).toEqual(member)
      }
      // Changed after the warm-up: a chain from the cache still shows the district as it was.
      await t.db.update(units).set({ body: null }).where(eq(units.id, district.id))
      const warmed = await unitChainsOf(services).of(grid.id)
      expect(warmed.map((u) => u.name)).toEqual(['第一网格', '科园社区', '石桥铺街道', '九龙坡区'])
      expect(warmed.at(-1)).toEqual(district)
      // A unit not warmed is read now, and sees the change.
      const building = (await findUnitByPath(t.db, '九龙坡区/石桥铺街道/科园社区/第一网格/1栋'))!
      expect((await unitChainsOf(services).of(building.id)).at(-1)?.body).toBeNull()
    } finally {
      await t.db.update(units).set({ body: district.body }).where(eq(units.id, district.id))
      await t.db
        .update(groups)
        .set({ roomId: null })
        .where(eq(groups.topic, '科园社区第一网格居民群'))
      await fresh.close()
    }
  })

  it('take LIKE wildcards in names literally', async () => {
    const csv = ['路径', '测试_区', '测试_区/甲', '测试X区', '测试X区/乙', '百分%区', '百分%区/丙']
    csv.push('百分比区', '百分比区/丁', '反\\斜区', '反\\斜区/戊', '反斜区', '反斜区/己')
    const result = await importNetwork(t.db, new TextEncoder().encode(csv.join('\n')))
    expect(result.ok).toBe(true)
    for (const [root, child] of [
      ['测试_区', '测试_区/甲'],
      ['百分%区', '百分%区/丙'],
      ['反\\斜区', '反\\斜区/戊'],
    ] as const) {
      const unit = (await findUnitByPath(t.db, root))!
      expect((await subtreeUnits(t.db, unit.id)).map((u) => u.path)).toEqual([root, child])
    }
  })
})
