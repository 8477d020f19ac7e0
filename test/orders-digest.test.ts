import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { localDay } from '../core/local-time.ts'
import { assertSchedules, tickOf } from '../core/scheduler.ts'
import { composeDigests, type DigestGroup, type DigestOrder } from '../orders/digest.ts'
import { orderSchedules } from '../orders/schedules.ts'
import { slaQueueOf } from '../orders/sla-timer.ts'
import { type OrdersDistrict, startOrdersDistrict } from './support/orders-district.ts'

const KEYUAN = '九龙坡区/石桥铺街道/科园社区'
const now = new Date('2026-06-01T00:00:00Z')

const groups: DigestGroup[] = [
  { groupId: 1, unitPath: '九龙坡区', unitTier: 1, unitBody: 'centre' },
  { groupId: 2, unitPath: '九龙坡区/石桥铺街道', unitTier: 2, unitBody: 'institute' },
  { groupId: 3, unitPath: KEYUAN, unitTier: 3, unitBody: 'station' },
  { groupId: 4, unitPath: '九龙坡区/杨家坪街道/西郊路社区', unitTier: 3, unitBody: 'station' },
]

const order = (code: string, handlingPath: string, overdue: boolean): DigestOrder => ({
  code,
  categoryName: '公共设施维修',
  status: 'dispatched',
  text: '楼道灯坏了',
  dueAt: new Date(now.getTime() + (overdue ? -60_000 : 60_000)),
  handlingPath,
})

describe('the daily digest', () => {
  it('tells each group the open orders handled at or below its unit, overdue first', () => {
    const digests = composeDigests(
      groups,
      [
        order('A0002', `${KEYUAN}/第一网格`, false),
        order('A0001', KEYUAN, true),
        order('A0003', '九龙坡区/石桥铺街道', true),
      ],
      now,
    )
    expect(digests.map((d) => [d.groupId, d.open, d.overdue])).toEqual([
      [1, 3, 2],
      [2, 3, 2],
      [3, 2, 1],
    ])
    expect(digests[2]!.text.split('\n')).toEqual([
      '【每日工单】科园社区实践站：未办结 2 单，其中超时 1 单。',
      'A0001 公共设施维修 已派单待接单（超时）：楼道灯坏了',
      'A0002 公共设施维修 已派单待接单：楼道灯坏了',
    ])
  })

  it('caps a long digest and says how many more there are', () => {
    const many = Array.from({ length: 14 }, (_, i) =>
      order(`A${String(i + 1).padStart(4, '0')}`, KEYUAN, i % 2 === 0),
    )
    const [district] = composeDigests(groups.slice(0, 1), many, now)
    const lines = district!.text.split('\n')
    expect(lines).toHaveLength(12)
    expect(lines[1]).toContain('（超时）')
    expect(lines.at(-1)).toBe('…另有 4 单，发送「我的任务」或在后台查看。')
  })

  it('names a digest by the calendar day in the district', () => {
    expect(localDay(new Date('2026-05-31T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-06-01')
    expect(localDay(new Date('2026-05-31T15:59:00Z'), 'Asia/Shanghai')).toBe('2026-05-31')
  })
})

describe('order schedules', () => {
  let o: OrdersDistrict
  beforeAll(async () => {
    o = await startOrdersDistrict()
  })
  afterAll(async () => {
    await o?.stop()
  })

  it('are valid, and a tick only enqueues, once however many schedulers fire it', async () => {
    expect(() => assertSchedules(orderSchedules)).not.toThrow()
    const tick = tickOf(new Date('2026-06-01T00:00:20Z')) // 08:00 in Asia/Shanghai
    for (const schedule of orderSchedules) {
      await Promise.all([schedule.run(o.services, tick), schedule.run(o.services, tick)])
    }
    const jobs = await slaQueueOf(o.services).getJobs(['waiting', 'delayed', 'prioritized'])
    expect(jobs.map((j) => j.id).sort()).toEqual([`digest-2026-06-01`, `sweep-${tick.getTime()}`])
  })
})
