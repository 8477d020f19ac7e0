import { eq, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cancelNotice, confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { eventTimeIn } from '../broadcasts/event-time.ts'
import { reminderTimes } from '../broadcasts/reminders.ts'
import { noticeTexts } from '../broadcasts/templates.ts'
import { formatLocalTime } from '../core/local-time.ts'
import { notices } from '../db/schema/broadcasts.ts'
import {
  type BroadcastDistrict,
  codeIn,
  memberActor,
  noticeCopies,
  replyTo,
  startBroadcastDistrict,
  untilDone,
} from './support/broadcasts-district.ts'

const TZ = 'Asia/Shanghai'
const NOW = new Date('2026-12-02T04:00:00Z')
const at = (iso: string) => new Date(iso)

describe('eventTimeIn (pure)', () => {
  it.each([
    ['活动时间 12月20日 9:00', '2026-12-20T01:00:00Z'],
    ['活动时间：12月20日（周六）上午9点', '2026-12-20T01:00:00Z'],
    ['活动时间:12月20号 下午2点半 地点：科园社区广场', '2026-12-20T06:30:00Z'],
    ['活动时间 12月20日晚上7:30', '2026-12-20T11:30:00Z'],
    ['活动时间 2027年1月3日 9:00', '2027-01-03T01:00:00Z'],
    ['活动时间 2026-12-21 08:30', '2026-12-21T00:30:00Z'],
    ['活動時間', undefined],
    ['本周六上午九点开展义诊', undefined],
    ['活动时间 13月40日 9:00', undefined],
    ['活动时间 12月20日 25:00', undefined],
    ['活动时间 待定', undefined],
  ])('%s', (text, expected) => {
    expect(eventTimeIn(text, NOW, TZ)?.toISOString()).toBe(
      expected && new Date(expected).toISOString(),
    )
  })

  it('a date without a year long past this year is next year’s', () => {
    expect(eventTimeIn('活动时间 1月3日 9:00', NOW, TZ)?.toISOString()).toBe(
      '2027-01-03T01:00:00.000Z',
    )
    expect(eventTimeIn('活动时间 11月30日 9:00', NOW, TZ)?.toISOString()).toBe(
      '2026-11-30T01:00:00.000Z',
    )
  })
})

describe('reminderTimes (pure)', () => {
  const DAY = 86_400_000
  it('3 days and 1 day before, only those still ahead, longest first', () => {
    expect(reminderTimes(at('2026-12-20T01:00:00Z'), NOW)).toEqual([
      { at: at('2026-12-17T01:00:00Z'), offsetMs: 3 * DAY },
      { at: at('2026-12-19T01:00:00Z'), offsetMs: DAY },
    ])
    expect(reminderTimes(at('2026-12-04T01:00:00Z'), NOW).map((r) => r.offsetMs)).toEqual([DAY])
    expect(reminderTimes(at('2026-12-02T06:00:00Z'), NOW)).toEqual([])
  })
})

describe('reminders before an event, on the sample district', () => {
  let d: BroadcastDistrict
  beforeAll(async () => {
    d = await startBroadcastDistrict()
    // Two fan-out workers, as two worker processes would run them.
    await d.startWorkers()
    d.services.notices = { reminderOffsetsMs: [2_000, 1_000] }
  })
  afterAll(async () => {
    await d?.stop()
  })

  async function confirmed(text: string, eventAt: Date) {
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: '石桥铺街道', text, eventAt })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    const result = await confirmNotice(d.services, { id, actor })
    // A replayed confirm schedules nothing twice.
    await confirmNotice(d.services, { id, actor })
    return { id, actor, result }
  }

  const remindersOf = (id: number) =>
    d.t.db
      .select()
      .from(notices)
      .where(like(notices.dedupeKey, `reminder:N${id}:%`))
      .orderBy(notices.scheduledAt)

  it('each reminder reaches every group of the notice once, at its time', async () => {
    const text = '科园社区广场义诊，请65岁以上老人带好身份证。'
    const eventAt = new Date(Date.now() + 5_000)
    const { id, result } = await confirmed(text, eventAt)
    expect(result.message).toContain('活动提醒将于')
    const reminders = await remindersOf(id)
    expect(reminders.map((r) => r.status)).toEqual(['confirmed', 'confirmed'])
    expect(reminders.map((r) => eventAt.getTime() - r.scheduledAt!.getTime())).toEqual([
      2_000, 1_000,
    ])

    const reminder = noticeTexts.reminderText(formatLocalTime(eventAt, d.services.timezone), text)
    // Not before its time: the first is due 3 s from now.
    await untilDone(d, id)
    expect(noticeCopies(d, reminder)).toEqual([])
    for (const r of reminders) await untilDone(d, r.id)
    const copies = noticeCopies(d, reminder)
    const byRoom = new Map<string, number>()
    for (const c of copies) byRoom.set(c.topic, (byRoom.get(c.topic) ?? 0) + 1)
    expect(byRoom.size).toBe(17)
    expect([...byRoom.values()].every((n) => n === 2)).toBe(true)
    expect(noticeCopies(d, text)).toHaveLength(17)
    expect(Math.min(...copies.map((c) => c.at))).toBeGreaterThanOrEqual(
      eventAt.getTime() - 2_000 - 50,
    )
  })

  it('cancelling the notice cancels its reminders: none goes out', async () => {
    const text = '周日上午开展消防演练。'
    const eventAt = new Date(Date.now() + 5_000)
    const { id, actor } = await confirmed(text, eventAt)
    await untilDone(d, id)
    const cancel = await cancelNotice(d.services, { id, actor })
    expect(cancel.outcome).toBe('cancelledReminders')
    expect(cancel.message).toContain('已取消其 2 条未发出的活动提醒')
    const reminders = await remindersOf(id)
    expect(reminders.map((r) => r.status)).toEqual(['cancelled', 'cancelled'])
    await new Promise((r) => setTimeout(r, 5_500))
    const reminder = noticeTexts.reminderText(formatLocalTime(eventAt, d.services.timezone), text)
    expect(noticeCopies(d, reminder)).toEqual([])
  })

  it('in chat, 活动时间 in the text is read and shown in the preview', async () => {
    const preview = replyTo(d, '石桥铺街道新时代文明实践所工作群', '共 17 个群')
    d.network.say(
      'wxid_liuyang',
      '石桥铺街道新时代文明实践所工作群',
      '通知 社区义诊 活动时间 2099年12月20日 上午9点 地点科园社区广场',
    )
    const text = (await preview).text
    expect(text).toContain('活动时间 2099-12-20 09:00，发布后将在活动前提醒。')
    const [row] = await d.t.db
      .select()
      .from(notices)
      .where(eq(notices.id, codeIn(text)))
    expect(row?.eventAt?.toISOString()).toBe('2099-12-20T01:00:00.000Z')
  })
})
