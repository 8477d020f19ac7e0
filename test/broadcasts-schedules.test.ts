import { eq, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NoticeActor } from '../broadcasts/authorize.ts'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import type { RecurringNotice } from '../broadcasts/recurring.ts'
import {
  broadcastSchedules,
  recurringSchedule,
  runRecurringNotice,
} from '../broadcasts/schedules.ts'
import { assertSchedules, startScheduler } from '../core/scheduler.ts'
import type { Services } from '../core/services.ts'
import { openDatabase } from '../db/client.ts'
import { auditLog } from '../db/schema/audit.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import {
  agreement,
  type BroadcastDistrict,
  FAST_RECONCILE,
  noticeCopies,
  startBroadcastDistrict,
  untilDone,
} from './support/broadcasts-district.ts'

const SHIQIAOPU = '九龙坡区/石桥铺街道'

describe('scheduled and recurring notices', () => {
  let d: BroadcastDistrict
  beforeAll(async () => {
    d = await startBroadcastDistrict({ workers: { reconcile: FAST_RECONCILE } })
  })
  afterAll(async () => {
    await d?.stop()
  })

  /** A second scheduler process: its own database pool, the same Redis and prefix. */
  async function withSecondProcess<T>(fn: (services: Services) => Promise<T>): Promise<T> {
    const database = openDatabase({ url: d.t.url, max: 2 })
    try {
      return await fn({ ...d.services, db: database.db })
    } finally {
      await database.close()
    }
  }

  it('defines valid recurring schedules', () => {
    expect(() => assertSchedules(broadcastSchedules)).not.toThrow()
    expect(broadcastSchedules.map((s) => s.name)).toEqual([
      'notice-weekly-visit',
      'notice-month-end-plan',
      'notice-quarterly-review',
    ])
  })

  it('two schedulers firing the same tick create one notice, sent once to each group', async () => {
    const def: RecurringNotice = {
      name: 'visit-test',
      cron: '0 9 * * 1',
      scope: SHIQIAOPU,
      kinds: ['workers', 'staff'],
      text: '【每周走访提醒】测试：本周请完成入户走访。',
    }
    const tick = new Date('2025-06-02T01:00:00.000Z')
    const [a, b] = await withSecondProcess((other) =>
      Promise.all([
        runRecurringNotice(d.services, def, tick),
        runRecurringNotice(other, def, tick),
      ]),
    )
    expect(a).toEqual(b)
    const rows = await d.t.db.select().from(notices).where(like(notices.dedupeKey, 'visit-test:%'))
    expect(rows.map((r) => [r.dedupeKey, r.authorRef])).toEqual([
      ['visit-test:2025-06-02T01:00:00.000Z', 'schedule:visit-test'],
    ])
    const id = rows[0]!.id
    await untilDone(d, id)
    const agreed = await agreement(d, id)
    // The township's staff group and its two communities' worker groups, each once.
    expect(agreed.rooms.map((r) => [r.topic, r.copies]).sort()).toEqual([
      ['渝州路社区志愿服务工作群', 1],
      ['石桥铺街道新时代文明实践所工作群', 1],
      ['科园社区志愿服务工作群', 1],
    ])
    expect(agreed.outside).toBe(0)
    const created = await d.t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.actorRef, 'schedule:visit-test'))
    expect(created.map((r) => r.action).sort()).toEqual(['notice.confirm', 'notice.create'])
  })

  it('two node-cron schedulers on the same cron send each tick once', async () => {
    const def: RecurringNotice = {
      name: 'cron-pair',
      cron: '* * * * * *', // every second; ticks are whole minutes, so most seconds collapse
      scope: SHIQIAOPU,
      tiers: [2],
      text: '【测试】每秒触发的周期通知',
    }
    await withSecondProcess(async (other) => {
      const one = startScheduler(d.services, [recurringSchedule(def)])
      const two = startScheduler(other, [recurringSchedule(def)])
      await new Promise((r) => setTimeout(r, 2_500))
      await Promise.all([one.close(), two.close()])
    })
    const rows = await d.t.db.select().from(notices).where(like(notices.dedupeKey, 'cron-pair:%'))
    // Two runs of ~2.5 s fall in one minute, or two when they straddle a minute boundary.
    expect(rows.length).toBeGreaterThanOrEqual(1)
    expect(rows.length).toBeLessThanOrEqual(2)
    for (const row of rows) await untilDone(d, row.id)
    const copies = noticeCopies(d, def.text)
    expect(copies.map((c) => c.topic)).toEqual(rows.map(() => '石桥铺街道新时代文明实践所工作群'))
  })

  it('holds a notice scheduled with --at until its time', async () => {
    const operator: NoticeActor = { kind: 'operator', ref: 'cli:ops' }
    const at = new Date(Date.now() + 1_500)
    const text = '【定时】本通知在指定时间发出。'
    const created = await createNotice(d.services, {
      actor: operator,
      scope: `${SHIQIAOPU}/科园社区`,
      tiers: [3],
      text,
      scheduledAt: at,
    })
    if (!created.ok) throw new Error(created.message)
    const confirmed = await confirmNotice(d.services, { id: created.notice.id, actor: operator })
    expect(confirmed.message).toMatch(/将于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 发布到 2 个群/)
    await new Promise((r) => setTimeout(r, 1_000))
    expect(noticeCopies(d, text)).toHaveLength(0)
    await untilDone(d, created.notice.id)
    const said = noticeCopies(d, text)
    expect(said).toHaveLength(2)
    expect(Math.min(...said.map((s) => s.at))).toBeGreaterThanOrEqual(at.getTime())
    const rows = await d.t.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.noticeId, created.notice.id))
    expect(rows.every((r) => r.sentAt !== null && r.sentAt.getTime() >= at.getTime())).toBe(true)
  })
})
