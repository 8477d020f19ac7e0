import { readFileSync } from 'node:fs'
import { asc, count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Db, openDatabase } from '../db/client.ts'
import { botAccounts, groups, members, roles, units } from '../db/schema/network.ts'
import { importNetwork } from '../network/import.ts'
import { findUnitByPath } from '../network/queries.ts'
import { concat, utf8 } from './support/bytes.ts'
import { createTestDatabase } from './support/pg.ts'

const sample = readFileSync(new URL('../fixtures/sample-district.csv', import.meta.url))
/** Every row id of the network tables, to show a refused or repeated import wrote nothing. */
async function snapshot(db: Db) {
  const ids = async (table: typeof units | typeof groups | typeof members | typeof botAccounts) =>
    (await db.select({ id: table.id }).from(table).orderBy(asc(table.id))).map((r) => r.id)
  return {
    units: await ids(units),
    groups: await ids(groups),
    botAccounts: await ids(botAccounts),
    members: await ids(members),
    roles: (await db.select({ id: roles.id }).from(roles).orderBy(asc(roles.id))).map((r) => r.id),
  }
}

const drivers = [
  ['PostgreSQL', createTestDatabase],
  [
    'PGlite',
    async () => {
      const database = openDatabase({ dataDir: 'memory://' })
      await database.migrate()
      return database
    },
  ],
] as const

describe.each(drivers)('importNetwork on %s', (_driver, open) => {
  let database: { db: Db; close(): Promise<void> }
  let db: Db
  beforeAll(async () => {
    database = await open()
    db = database.db
  })
  afterAll(async () => {
    await database.close()
  })

  it('imports the sample district, and a second import changes nothing', async () => {
    const first = await importNetwork(db, sample)
    expect(first).toEqual({
      ok: true,
      created: { units: 24, groups: 27, botAccounts: 2, members: 19, roles: 19 },
      updated: { units: 0, groups: 0, botAccounts: 0, members: 0, roles: 0 },
      unchanged: { units: 0, groups: 0, botAccounts: 0, members: 0, roles: 0 },
    })
    const before = await snapshot(db)
    const second = await importNetwork(db, sample)
    expect(second).toEqual({
      ok: true,
      created: { units: 0, groups: 0, botAccounts: 0, members: 0, roles: 0 },
      updated: { units: 0, groups: 0, botAccounts: 0, members: 0, roles: 0 },
      unchanged: { units: 24, groups: 27, botAccounts: 2, members: 19, roles: 19 },
    })
    expect(await snapshot(db)).toEqual(before)
  })

  it('binds groups to units and bot accounts as the file says', async () => {
    const rows = await db
      .select({ topic: groups.topic, kind: groups.kind, path: units.path, bot: botAccounts.name })
      .from(groups)
      .innerJoin(units, eq(units.id, groups.unitId))
      .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    const find = (topic: string) => rows.find((r) => r.topic === topic)
    expect(find('九龙坡区文明实践中心工作群')).toEqual({
      topic: '九龙坡区文明实践中心工作群',
      kind: 'staff',
      path: '九龙坡区',
      bot: 'bot-yangjiaping',
    })
    expect(find('科园社区志愿服务工作群')?.kind).toBe('workers')
    expect(find('科园社区第一网格1栋居民群')).toMatchObject({
      kind: 'residents',
      bot: 'bot-shiqiaopu',
    })
    expect(find('西郊路社区第二网格2栋居民群')?.bot).toBe('bot-yangjiaping')
    const perBot = new Map<string, number>()
    for (const r of rows) perBot.set(r.bot, (perBot.get(r.bot) ?? 0) + 1)
    expect(Object.fromEntries(perBot)).toEqual({ 'bot-shiqiaopu': 17, 'bot-yangjiaping': 10 })
    const building = await findUnitByPath(db, '九龙坡区/石桥铺街道/科园社区/第一网格/1栋')
    const grid = await findUnitByPath(db, '九龙坡区/石桥铺街道/科园社区/第一网格')
    expect(building).toMatchObject({ tier: 5, name: '1栋', parentId: grid!.id, body: null })
    expect(grid).toMatchObject({ tier: 4, body: 'point' })
  })

  it('refuses a file with bad rows whole, naming every bad line, and writes nothing', async () => {
    const before = await snapshot(db)
    const bytes = concat(
      '路径,阵地,群,机器人,成员\n',
      '九龙坡区/石桥铺街道/新社区,站,新社区居民群,,新人:志愿者:wxid_xinren\n', // 2 fine
      '九龙坡区/不存在街道/某社区,站,,,\n', // 3 tier skipped
      '某某区/某街道,所,,,\n', // 4 unknown parent
      '九龙坡区/石桥铺街道/新社区,站,,,\n', // 5 duplicate path
      '九龙坡区//空名社区,站,,,\n', // 6 empty name
      '九龙坡区/石桥铺街道/长社区,站,"',
      new Uint8Array(10 * 1024 * 1024).fill(0x61),
      '",,\n', // 7 a 10 MB line
      '九龙坡区/石桥铺街道/',
      new Uint8Array([0xe7, 0xff, 0xfe]),
      '社区,站,,,\n', // 8 invalid UTF-8
      '九龙坡区/石桥铺街道/另一新社区,站,另一新社区居民群,,\n', // 9 fine
    )
    const result = await importNetwork(db, bytes)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8])
    expect(result.errors.map((e) => e.reason)).toEqual([
      '跳级：上级「九龙坡区/不存在街道」未定义（最近的已知上级是「九龙坡区」）',
      '未知上级「某某区」（文件和数据库中都没有）',
      '路径重复（第 2 行已定义）',
      '路径第 2 级的名称为空',
      '行过长（超过 64 KiB），未读取',
      '不是有效的 UTF-8 编码（请用 UTF-8 保存文件）',
    ])
    expect(await snapshot(db)).toEqual(before)
    expect(await findUnitByPath(db, '九龙坡区/石桥铺街道/新社区')).toBeUndefined()
  })

  it('adds under units already in the database, inheriting their bot, and updates what changed', async () => {
    const result = await importNetwork(
      db,
      utf8(
        [
          'path,body,groups,members',
          '九龙坡区/石桥铺街道/科园社区/第三网格,point,科园社区第三网格居民群,王芳（退休）:volunteer:wxid_wangfang',
          '九龙坡区/杨家坪街道/西郊路社区,centre,西郊路社区居民群#工作,',
        ].join('\n'),
      ),
    )
    expect(result).toEqual({
      ok: true,
      created: { units: 1, groups: 1, botAccounts: 0, members: 0, roles: 1 },
      updated: { units: 1, groups: 1, botAccounts: 0, members: 1, roles: 0 },
      // Both groups use an inherited account: referenced, so counted, and already there.
      unchanged: { units: 0, groups: 0, botAccounts: 2, members: 0, roles: 0 },
    })
    const [added] = await db
      .select({ bot: botAccounts.name })
      .from(groups)
      .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
      .where(eq(groups.topic, '科园社区第三网格居民群'))
    expect(added?.bot).toBe('bot-shiqiaopu')
    const [changed] = await db.select().from(groups).where(eq(groups.topic, '西郊路社区居民群'))
    expect(changed?.kind).toBe('workers')
    const [renamed] = await db.select().from(members).where(eq(members.wechatId, 'wxid_wangfang'))
    expect(renamed?.name).toBe('王芳(退休)')
    const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(roles)
    expect(n).toBe(20)
  })
})
