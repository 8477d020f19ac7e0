import { eq } from 'drizzle-orm'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NoticeActor } from '../broadcasts/authorize.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import {
  beginSends,
  markFailed,
  markSent,
  markSentMany,
  pendingOfTier,
  settleTierAudience,
} from '../broadcasts/delivery-store.ts'
import {
  finishIfDone,
  markCancelled,
  markConfirmed,
  missedGroups,
  noticeProgress,
  unfinishedDoneNotices,
} from '../broadcasts/notice-store.ts'
import { Caches } from '../core/caches.ts'
import type { Services } from '../core/services.ts'
import { type Database, openDatabase } from '../db/client.ts'
import { groups } from '../db/schema/network.ts'
import type { Tier } from '../network/types.ts'
import { importSample } from './support/sample-services.ts'

/**
 * `npm start` runs on embedded PGlite: the outbox and every state change of a delivery must work
 * on both drivers, not only on the PostgreSQL the other tests use. No Redis here: these are the
 * storage steps the fan-out, the send hooks and the reconciler are made of.
 */
describe('the broadcast storage on PGlite', () => {
  let database: Database
  let services: Services
  const operator: NoticeActor = { kind: 'operator', ref: 'cli:test' }
  beforeAll(async () => {
    database = openDatabase({ dataDir: 'memory://' })
    await database.migrate()
    await importSample(database.db)
    // As the bots would on login; one room never seen.
    const rows = await database.db.select().from(groups)
    for (const g of rows) {
      await database.db
        .update(groups)
        .set({ roomId: g.topic === '科园社区第一网格1栋居民群' ? null : `room-${g.id}` })
        .where(eq(groups.id, g.id))
    }
    services = {
      db: database.db,
      log: pino({ level: 'silent' }),
      connection: undefined as never,
      queuePrefix: 'unused',
      messenger: undefined as never,
      timezone: 'Asia/Shanghai',
      caches: new Caches(),
      now: () => new Date(),
    }
  })
  afterAll(async () => {
    await database?.close()
  })

  it('drafts, confirms, skips the unreachable, sends, fails, finishes once, and cancels', async () => {
    const created = await createNotice(services, {
      actor: operator,
      scope: '九龙坡区/石桥铺街道/科园社区',
      text: 'PGlite 上的通知',
    })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    expect(created.plan.perTier).toEqual({ 1: 0, 2: 0, 3: 2, 4: 2, 5: 4 })
    expect(created.plan.unreachable).toBe(1)
    expect(await markConfirmed(database.db, id)).toBeDefined()
    expect(await markConfirmed(database.db, id)).toBeUndefined()

    const sendable = []
    for (const tier of [3, 4, 5] as Tier[]) {
      await settleTierAudience(database.db, id, tier)
      sendable.push(...(await pendingOfTier(database.db, id, tier, 0, 100)))
    }
    expect(sendable).toHaveLength(7)
    expect(sendable.every((s) => s.account === 'bot-shiqiaopu')).toBe(true)

    const beginSend = async (db: typeof database.db, id: number) =>
      (await beginSends(db, [id])).get(id)
    const [first, second, third, ...rest] = sendable
    expect(await beginSend(database.db, first!.id)).toEqual({ say: true })
    expect(await markSent(database.db, first!.id)).toEqual({ noticeId: id, tier: 3 })
    // Said once: a re-queued job for it is skipped, never said again.
    expect(await beginSend(database.db, first!.id)).toEqual({ say: false, why: 'done' })
    expect(await beginSend(database.db, second!.id)).toEqual({ say: true })
    expect(await markFailed(database.db, second!.id, 'room not found')).toBeDefined()
    // A batch: the gate of each, then one write for the sends (the sent one is left out).
    const gates = await beginSends(database.db, [first!.id, third!.id])
    expect([...gates]).toEqual([
      [third!.id, { say: true }],
      [first!.id, { say: false, why: 'done' }],
    ])
    expect(await markSentMany(database.db, [first!.id, third!.id])).toEqual([
      { noticeId: id, tier: third!.tier },
    ])
    for (const s of rest) {
      await beginSend(database.db, s.id)
      expect(await finishIfDone(database.db, id)).toBeUndefined()
      await markSent(database.db, s.id)
    }
    expect(await unfinishedDoneNotices(database.db)).toEqual([id])
    expect((await finishIfDone(database.db, id))?.status).toBe('done')
    expect(await finishIfDone(database.db, id)).toBeUndefined()

    const progress = await noticeProgress(database.db, id)
    expect(progress.totals).toEqual({ total: 8, sent: 6, pending: 0, failed: 1, skipped: 1 })
    const missed = await missedGroups(database.db, id, 1)
    expect(missed.total).toBe(2)
    expect(missed.missed).toHaveLength(1)

    const other = await createNotice(services, {
      actor: operator,
      scope: '九龙坡区/石桥铺街道/科园社区',
      text: '将被撤销',
    })
    if (!other.ok) throw new Error(other.message)
    expect((await markCancelled(database.db, other.notice.id))?.stopped).toBe(8)
    expect((await noticeProgress(database.db, other.notice.id)).totals.skipped).toBe(8)
  })
})
