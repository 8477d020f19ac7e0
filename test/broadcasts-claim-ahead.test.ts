import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { cancelNotice, confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { CLAIM_MS } from '../broadcasts/send-pace.ts'
import { unsigned } from '../broadcasts/signature.ts'
import { skipReasons } from '../broadcasts/templates.ts'
import { deliveries } from '../db/schema/broadcasts.ts'
import { groups } from '../db/schema/network.ts'
import {
  agreement,
  districtPerFile,
  FAST_RECONCILE,
  FAST_SEND_RETRIES,
  holdSends,
  memberActor,
  noticeCopies,
  until,
} from './support/broadcasts-district.ts'

const SHIQIAOPU = '九龙坡区/石桥铺街道'
/** Says before this one are never held: by then the account sends fast enough to claim ahead. */
const HOLD_FROM = 7

// Unpaced sends (FAST_PACING): the account says several messages per CLAIM_MS, so its gate claims
// the deliveries of the jobs queued next along with the one going out.
describe('deliveries claimed ahead of their send jobs', () => {
  const district = districtPerFile({
    workers: { reconcile: FAST_RECONCILE, sendJobOptions: FAST_SEND_RETRIES },
  })

  const rowsOf = (id: number) =>
    district()
      .t.db.select({
        roomId: groups.roomId,
        status: deliveries.status,
        lastError: deliveries.lastError,
        attempts: deliveries.attempts,
      })
      .from(deliveries)
      .innerJoin(groups, eq(groups.id, deliveries.groupId))
      .where(eq(deliveries.noticeId, id))
  /** Rooms whose rows are taken for a send and not said yet, `besides` excepted. */
  const claimedOf = async (id: number, text: string, besides: string) => {
    const said = new Set(noticeCopies(district(), text).map((s) => s.roomId))
    return (await rowsOf(id))
      .filter((r) => r.status === 'sending' && r.roomId !== besides && !said.has(r.roomId ?? ''))
      .map((r) => r.roomId)
  }
  /**
   * Holds a say of `text` (the HOLD_FROM-th or a later one) made while rows of jobs still queued
   * are claimed; returns those rooms and how many says came before. Which send claims how far
   * ahead depends on how fast the account has sent, so the hold waits for a moment that shows it.
   */
  const holdMidway = async (text: string) => {
    const d = district()
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: SHIQIAOPU, text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    let n = 0
    const stuck = holdSends(
      d,
      'bot-shiqiaopu',
      async (room, t) =>
        unsigned(t) === text &&
        stuck.held.length === 0 &&
        ++n >= HOLD_FROM &&
        (await claimedOf(id, text, room)).length > 0,
    )
    expect((await confirmNotice(d.services, { id, actor })).outcome).toBe('confirmed')
    await until(async () => stuck.held.length === 1)
    const before = n - 1
    // Everything said before the held one is written behind; wait for it.
    await until(async () => (await rowsOf(id)).filter((r) => r.status === 'sent').length === before)
    const claimed = await claimedOf(id, text, stuck.held[0]!)
    return { id, actor, stuck, claimed, before }
  }
  const settled = (id: number) =>
    until(async () =>
      (await rowsOf(id)).every((r) => r.status === 'sent' || r.status === 'skipped'),
    )

  it('claims the next rows with the one going out, and says each room once even when the claims go stale', async () => {
    const text = '【提醒】石桥铺街道本周六开展义诊活动，请居民朋友相互转告。'
    const { id, stuck, claimed } = await holdMidway(text)
    try {
      // Rows whose jobs are still queued are already taken: their gates need no round trip.
      expect(claimed.length).toBeGreaterThan(0)
      // Held past CLAIM_MS, the claims are stale: each job takes its row again before saying.
      await new Promise((r) => setTimeout(r, CLAIM_MS + 200))
      stuck.release()
      await settled(id)
      const a = await agreement(district(), id)
      expect(a.rooms).toHaveLength(17)
      expect(a.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
      expect(a.outside).toBe(0)
      const attempts = new Map((await rowsOf(id)).map((r) => [r.roomId, r.attempts]))
      expect(claimed.map((room) => attempts.get(room))).toEqual(claimed.map(() => 2))
    } finally {
      stuck.undo()
    }
  })

  it('says no claimed row once a cancel is in and the claims are stale: they end skipped', async () => {
    const text = '【更正】义诊活动改期，另行通知。'
    const { id, actor, stuck, claimed, before } = await holdMidway(text)
    try {
      expect(claimed.length).toBeGreaterThan(0)
      const pending = (await rowsOf(id)).filter((r) => r.status === 'pending').length
      const cancelled = await cancelNotice(district().services, { id, actor })
      expect(cancelled.message).toBe(
        `通知 N${id} 已撤销：其余 ${pending} 个群不再发送；已送达的 ${before} 个群保留原消息，如需撤回请发送「撤回 N${id}」。`,
      )
      await new Promise((r) => setTimeout(r, CLAIM_MS + 200))
      stuck.release()
      // The held say goes out and is recorded sent, whatever a reconciler run marked meanwhile.
      await until(
        async () => (await rowsOf(id)).filter((r) => r.status === 'sent').length === before + 1,
      )
      await settled(id)
      const a = await agreement(district(), id)
      // What was said before the cancel, and the one in flight: nothing after.
      expect(a.rooms.filter((r) => r.copies > 0)).toHaveLength(before + 1)
      expect(a.rooms.filter((r) => r.copies > 1)).toEqual([])
      const rows = await rowsOf(id)
      const skipped = rows.filter(
        (r) => r.status === 'skipped' && r.lastError === skipReasons.cancelled,
      )
      expect(skipped).toHaveLength(17 - before - 1)
      expect(claimed.every((room) => skipped.some((r) => r.roomId === room))).toBe(true)
    } finally {
      stuck.undo()
    }
  })
})
