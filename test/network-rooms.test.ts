import { readFileSync } from 'node:fs'
import { eq, isNotNull } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog } from '../db/schema/audit.ts'
import { botAccounts, groups } from '../db/schema/network.ts'
import { bindRoomsByTopic } from '../network/groups.ts'
import { importNetwork } from '../network/import.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

const sample = readFileSync(new URL('../fixtures/sample-district.csv', import.meta.url))

const KEYUAN = '科园社区居民群'
const YUZHOU = '渝州路社区居民群'
const XIJIAO = '西郊路社区居民群'

describe('binding every room of an account at once (bot start-up)', () => {
  let t: TestDatabase
  let accountA: number
  let accountB: number
  const groupOf = async (topic: string) =>
    (await t.db.select().from(groups).where(eq(groups.topic, topic)))[0]!

  beforeAll(async () => {
    t = await createTestDatabase()
    expect((await importNetwork(t.db, sample)).ok).toBe(true)
    const accounts = await t.db.select().from(botAccounts).orderBy(botAccounts.name)
    accountA = accounts[0]!.id
    accountB = accounts[1]!.id
  })
  afterAll(async () => {
    await t.close()
  })

  it('binds by topic, first room of a topic wins, an unknown topic stays unbound', async () => {
    const bound = await bindRoomsByTopic(t.db, accountA, [
      { roomId: 'r-keyuan', topic: KEYUAN },
      { roomId: 'r-keyuan-twin', topic: KEYUAN },
      { roomId: 'r-stranger', topic: '广场舞爱好者' },
      { roomId: 'r-yuzhou', topic: YUZHOU },
    ])
    expect([...bound].sort()).toEqual(['r-keyuan', 'r-yuzhou'])
    expect(await groupOf(KEYUAN)).toMatchObject({
      roomId: 'r-keyuan',
      botAccountId: accountA,
      active: true,
    })
    expect((await groupOf(YUZHOU)).roomId).toBe('r-yuzhou')
    const boundRows = await t.db.select().from(groups).where(isNotNull(groups.roomId))
    expect(boundRows).toHaveLength(2)
  })

  it('keeps a known room on its group whatever its topic now, and re-activates it', async () => {
    await t.db.update(groups).set({ active: false }).where(eq(groups.roomId, 'r-yuzhou'))
    const bound = await bindRoomsByTopic(t.db, accountB, [
      { roomId: 'r-yuzhou', topic: '改了名字' },
    ])
    expect([...bound]).toEqual(['r-yuzhou'])
    expect(await groupOf(YUZHOU)).toMatchObject({
      roomId: 'r-yuzhou',
      botAccountId: accountB,
      active: true,
    })
  })

  it("re-binds a group whose old room of this account is gone, never one still live or another account's", async () => {
    // accountA comes back without r-keyuan: the room was dissolved and re-created as r-keyuan-2.
    const bound = await bindRoomsByTopic(t.db, accountA, [
      { roomId: 'r-keyuan-2', topic: KEYUAN },
      { roomId: 'r-keyuan-3', topic: KEYUAN },
      // r-yuzhou now belongs to accountB: accountA's room of that topic must not take it.
      { roomId: 'r-yuzhou-a', topic: YUZHOU },
    ])
    expect([...bound]).toEqual(['r-keyuan-2'])
    expect((await groupOf(KEYUAN)).roomId).toBe('r-keyuan-2')
    expect((await groupOf(YUZHOU)).roomId).toBe('r-yuzhou')

    // Still live: a second room of the same topic leaves the binding alone.
    const again = await bindRoomsByTopic(t.db, accountA, [
      { roomId: 'r-keyuan-4', topic: KEYUAN },
      { roomId: 'r-keyuan-2', topic: KEYUAN },
    ])
    expect([...again]).toEqual(['r-keyuan-2'])
    expect((await groupOf(KEYUAN)).roomId).toBe('r-keyuan-2')
  })

  it('takes topics as data, and an empty list is a no-op', async () => {
    const hostile = `${XIJIAO}'); drop table groups; --`
    expect([
      ...(await bindRoomsByTopic(t.db, accountA, [{ roomId: 'r-\'"', topic: hostile }])),
    ]).toEqual([])
    expect((await bindRoomsByTopic(t.db, accountA, [])).size).toBe(0)
    expect((await groupOf(XIJIAO)).roomId).toBeNull()
    const quoted = await bindRoomsByTopic(t.db, accountA, [{ roomId: 'r-\'"\\', topic: XIJIAO }])
    expect([...quoted]).toEqual(['r-\'"\\'])
  })
})

describe('binding at login is audited', () => {
  it('writes one group.bind line per group a room claimed, none for rooms already bound', async () => {
    const t = await createTestDatabase()
    try {
      expect((await importNetwork(t.db, sample)).ok).toBe(true)
      const [account] = await t.db.select().from(botAccounts).orderBy(botAccounts.name)
      const rooms = [
        { roomId: 'r-keyuan', topic: KEYUAN },
        { roomId: 'r-stranger', topic: '广场舞爱好者' },
      ]
      await bindRoomsByTopic(t.db, account!.id, rooms)
      await bindRoomsByTopic(t.db, account!.id, rooms)
      const lines = await t.db.select().from(auditLog).where(eq(auditLog.action, 'group.bind'))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({
        actorRef: `bot:${account!.id}`,
        allowed: true,
        groupId: (await t.db.select().from(groups).where(eq(groups.topic, KEYUAN)))[0]!.id,
        detail: { by: 'login', roomId: 'r-keyuan', topic: KEYUAN },
      })
    } finally {
      await t.close()
    }
  })
})
