import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureRedis, type LocalRedis } from '../app/redis-server.ts'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { deliveries } from '../db/schema/broadcasts.ts'
import {
  agreement,
  type BroadcastDistrict,
  FAST_PACING,
  FAST_RECONCILE,
  FAST_SEND_RETRIES,
  memberActor,
  noticeCopies,
  startBroadcastDistrict,
  until,
  untilDone,
} from './support/broadcasts-district.ts'
import { freePort } from './support/redis.ts'

describe('Redis loses everything (FLUSHALL) in the middle of a notice', () => {
  // FLUSHALL on the shared test Redis would wipe the other test files' queues: this file runs a
  // redis-server of its own.
  let redis: LocalRedis
  let dir: string
  let d: BroadcastDistrict
  let tierThree: () => void
  const atTierThree = new Promise<void>((r) => {
    tierThree = r
  })
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qq-flush-'))
    const url = `redis://127.0.0.1:${await freePort()}`
    redis = await ensureRedis(url, dir)
    d = await startBroadcastDistrict({
      redisUrl: url,
      // Slow enough that the flush lands with most of the township still to send.
      pacing: { ...FAST_PACING, minGapMs: 60 },
      workers: {
        reconcile: FAST_RECONCILE,
        sendJobOptions: FAST_SEND_RETRIES,
        fanout: {
          // The fan-out worker goes down with Redis at tier 3: tiers 4 and 5 are never queued by
          // it, and everything it queued is flushed. Only PostgreSQL knows what is left.
          onTierQueued: async ({ tier }) => {
            if (tier !== 3) return
            tierThree()
            await new Promise(() => {})
          },
        },
      },
    })
  })
  afterAll(async () => {
    // The hung fan-out job would hold a graceful close forever.
    await d?.workers?.fanoutWorker?.close(true)
    await d?.stop()
    await redis?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('is finished from PostgreSQL by the reconciler: every group exactly once', async () => {
    const text = '社区卫生服务中心本周四下午为60岁以上老人免费测血压、血糖，请携带身份证。'
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: '九龙坡区/石桥铺街道', text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    await confirmNotice(d.services, { id, actor })
    await atTierThree
    await until(async () => noticeCopies(d, text).length >= 2)

    await d.services.connection.flushall()
    const flushedAt = Date.now()
    const open = await d.t.db
      .select({ status: deliveries.status, n: count() })
      .from(deliveries)
      .where(eq(deliveries.noticeId, id))
      .groupBy(deliveries.status)
    const sentBefore = noticeCopies(d, text).length
    expect(sentBefore).toBeLessThan(17)

    await untilDone(d, id)
    const a = await agreement(d, id)
    expect(a.rooms).toHaveLength(17)
    expect(a.rooms.filter((r) => r.copies !== 1 || r.status !== 'sent')).toEqual([])
    expect(a.outside).toBe(0)
    console.info(
      `flush test: ${sentBefore} sent before FLUSHALL, statuses then ${JSON.stringify(open)},` +
        ` finished ${Date.now() - flushedAt} ms after it`,
    )
  })
})
