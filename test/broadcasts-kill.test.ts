import type { ChildProcess } from 'node:child_process'
import { and, eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { deliveries } from '../db/schema/broadcasts.ts'
import {
  agreement,
  type BroadcastDistrict,
  memberActor,
  noticeCopies,
  startBroadcastDistrict,
  until,
  untilDone,
} from './support/broadcasts-district.ts'
import { spawnChild } from './support/child.ts'
import { redisUrl } from './support/redis.ts'

const CHILD = new URL('./support/broadcasts-worker-child.ts', import.meta.url).pathname

describe('a fan-out worker process killed mid fan-out', () => {
  let d: BroadcastDistrict
  let child: ChildProcess | undefined
  beforeAll(async () => {
    // No broadcast worker in this process until the restart: the child does the first half.
    d = await startBroadcastDistrict({ workers: false })
  })
  afterAll(async () => {
    child?.kill('SIGKILL')
    await d?.stop()
  })

  it('is taken over after SIGKILL: every group of the township gets the notice exactly once', async () => {
    const worker = spawnChild(CHILD, {
      DATABASE_URL: d.t.url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: d.prefix,
      HANG_AT_TIER: '3',
      LOCK_MS: '1000',
      STALLED_MS: '300',
    })
    child = worker.child
    await worker.next('ready')

    const text = '【紧急】今晚有强降雨，请低洼地带居民做好防范，如需转移请联系网格员。'
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: '石桥铺街道', text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    expect((await confirmNotice(d.services, { id, actor })).outcome).toBe('confirmed')

    // The child has queued tiers 2 and 3 and holds the tier-3 job: kill it there.
    const at = await worker.next('tier')
    expect(at).toMatchObject({ tier: 2, queued: 1 })
    expect(await worker.next('tier')).toMatchObject({ tier: 3, queued: 4 })
    child.kill('SIGKILL')
    const killedAt = Date.now()
    await new Promise((r) => child!.once('exit', r))

    // Mid fan-out for real: the upper tiers go out, tiers 4 and 5 were never queued.
    await until(async () => noticeCopies(d, text).length === 5)
    const lower = await d.t.db
      .select({ status: deliveries.status })
      .from(deliveries)
      .where(and(eq(deliveries.noticeId, id), inArray(deliveries.tier, [4, 5])))
    expect(lower.map((r) => r.status)).toEqual(Array(12).fill('pending'))

    // Restart (no reconciler, so it is the stalled job being taken over that finishes it).
    await d.startWorkers({
      fanout: { lockDurationMs: 1_000, stalledIntervalMs: 300 },
      reconcile: false,
    })
    await untilDone(d, id)
    const recoveredMs = Date.now() - killedAt

    const a = await agreement(d, id)
    expect(a.rooms).toHaveLength(17)
    const doubled = a.rooms.filter((r) => r.copies > 1)
    // A second copy is only possible for a send in flight at the kill; the child sends nothing
    // (sends belong to the bot process), so there is none.
    expect(doubled).toEqual([])
    expect(a.rooms.every((r) => r.copies === 1 && r.status === 'sent')).toBe(true)
    expect(a.outside).toBe(0)
    console.info(`kill test: recovered in ${recoveredMs} ms, ${doubled.length} doubled copies`)
  })
})
