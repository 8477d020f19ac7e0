import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { pauseNotice, resumeNotice } from '../broadcasts/pause-notice.ts'
import { resendFailed } from '../broadcasts/resend-notice.ts'
import { unsigned } from '../broadcasts/signature.ts'
import { parseCommandArgs } from '../cli/argv.ts'
import { noticePause, noticeResume } from '../cli/commands/notice-pause.ts'
import { statusCli } from '../cli/commands/status.ts'
import { auditLog } from '../db/schema/audit.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import {
  agreement,
  type BroadcastDistrict,
  codeIn,
  FAST_RECONCILE,
  FAST_SEND_RETRIES,
  failSends,
  holdSends,
  memberActor,
  noticeCopies,
  replyTo,
  startBroadcastDistrict,
  until,
  untilDone,
} from './support/broadcasts-district.ts'
import { runCli } from './support/cli.ts'
import { redisUrl } from './support/redis.ts'

const STAFF = '石桥铺街道新时代文明实践所工作群'
const ACCOUNT = 'bot-shiqiaopu'

describe('暂停 and 继续 of a notice being sent, and its auto-pause', () => {
  let d: BroadcastDistrict
  beforeAll(async () => {
    d = await startBroadcastDistrict({
      workers: { reconcile: FAST_RECONCILE, sendJobOptions: FAST_SEND_RETRIES },
    })
  })
  afterAll(async () => {
    await d?.stop()
  })

  const statusesOf = async (id: number) =>
    (await d.t.db.select().from(deliveries).where(eq(deliveries.noticeId, id))).map((r) => r.status)
  const noticeStatus = async (id: number) =>
    (await d.t.db.select().from(notices).where(eq(notices.id, id)))[0]?.status
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  /** 通知 to the township, then 确认, typed in its staff group; the notice's id. */
  const sendNotice = async (wechatId: string, text: string): Promise<number> => {
    const preview = replyTo(d, STAFF, '共 17 个群')
    d.network.say(wechatId, STAFF, `通知 【石桥铺街道】 ${text}`)
    const id = codeIn((await preview).text)
    const confirmed = replyTo(d, STAFF, `通知 N${id} 已确认`)
    d.network.say(wechatId, STAFF, `确认 N${id}`)
    await confirmed
    return id
  }

  it('暂停 leaves the unsaid groups pending and unsaid, however long; 继续 says each of them exactly once', async () => {
    const text = '本周日上午9点石桥铺街道开展垃圾分类宣传，请各网格组织居民参加。'
    // The fourth group's send stays in flight until the pause is in.
    let seen = 0
    const held = holdSends(d, ACCOUNT, (_room, t) => unsigned(t) === text && ++seen === 4)
    const id = await sendNotice('wxid_liuyang', text)
    await until(async () => held.held.length === 1)

    // The reply waits behind the held send on the same account: the pause itself does not.
    const paused = replyTo(d, STAFF, `通知 N${id} 已暂停`)
    d.network.say('wxid_liuyang', STAFF, `暂停 N${id}`)
    try {
      await until(async () => (await noticeStatus(id)) === 'paused')
    } finally {
      held.undo()
    }
    await paused

    // The send in flight is said (it was claimed before the pause); then nothing, through many
    // reconciler runs (every 100 ms, rows stale after 400 ms).
    await until(async () => (await statusesOf(id)).filter((s) => s === 'sent').length >= 4)
    await sleep(2_000)
    const during = await agreement(d, id)
    const said = during.rooms.filter((r) => r.copies > 0)
    await sleep(2_000)
    expect((await agreement(d, id)).rooms.filter((r) => r.copies > 0)).toHaveLength(said.length)
    expect(said.every((r) => r.status === 'sent' && r.copies === 1)).toBe(true)
    const unsaid = during.rooms.filter((r) => r.copies === 0)
    expect(unsaid.length).toBeGreaterThan(0)
    expect(unsaid.every((r) => r.status === 'pending' || r.status === 'sending')).toBe(true)
    // Held, not lost: the sends wait as parked jobs, none of them failed or gave a room up.
    const counts = await d.services.messenger.queueOf(ACCOUNT).getJobCounts('delayed', 'failed')
    expect(counts.delayed).toBeGreaterThan(0)
    expect(counts.failed).toBe(0)

    // 回执 while paused says so (王芳's: 刘洋 keeps his answers of the minute for 继续).
    const receipt = replyTo(d, STAFF, `通知 N${id}（已暂停）`)
    d.network.say('wxid_wangfang', STAFF, `回执 N${id}`)
    await receipt

    const resumed = replyTo(d, STAFF, `通知 N${id} 已继续发送`)
    d.network.say('wxid_liuyang', STAFF, `继续 N${id}`)
    expect((await resumed).text).toContain(`剩余 ${unsaid.length} 个群`)
    await untilDone(d, id, 40_000)
    const after = await agreement(d, id)
    expect(after.rooms).toHaveLength(17)
    expect(after.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
    expect(after.outside).toBe(0)
    const audits = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorRef, 'wxid_liuyang'), eq(auditLog.allowed, true)))
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining(['notice.pause', 'notice.resume']),
    )
  }, 60_000)

  it('a notice pauses itself once too many sends failed, tells its author, and 继续 finishes it', async () => {
    d.services.notices = { ...d.services.notices, autoPause: { failures: 3, ratio: 0.1 } }
    const text = '石桥铺街道明日开展燃气安全入户检查，请居民在家配合。'
    // The account is refused everything for this notice: as if banned mid-notice.
    const undo = failSends(d, ACCOUNT, (_room, t) => unsigned(t) === text)
    let id = 0
    try {
      const told = d.network.waitFor(
        (s) => s.fromBot && s.topic === STAFF && s.text.includes('已自动暂停'),
        20_000,
      )
      id = await sendNotice('wxid_wangfang', text)
      expect((await told).text).toContain(`通知 N${id} 发送失败过多`)
      expect(await noticeStatus(id)).toBe('paused')
      await sleep(1_000)
      const statuses = await statusesOf(id)
      const failed = statuses.filter((s) => s === 'failed').length
      expect(failed).toBeGreaterThanOrEqual(3)
      expect(statuses.filter((s) => s === 'pending' || s === 'sending').length).toBe(17 - failed)
      const [line] = await d.t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'notice.pause'), eq(auditLog.actorRef, 'system:auto-pause')))
      expect(line?.detail).toMatchObject({ notice: `N${id}`, failed: expect.any(Number) })
      // quanqun status lists it among the notices being sent, marked paused.
      const status = await runCli(statusCli, {
        DATABASE_URL: d.t.url,
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: d.prefix,
      })
      expect(status.lines.join('\n')).toContain(`N${id}（已暂停）`)
      // 重发 waits for 继续: the failed groups are not re-queued while it is paused.
      const author = await memberActor(d.t.db, 'wxid_wangfang')
      const resend = await resendFailed(d.services, { id, actor: author })
      expect(resend).toMatchObject({ outcome: 'notSent', resent: 0 })
      expect(resend.message).toContain('已处于暂停状态')
    } finally {
      undo()
    }

    // The account works again: the operator resumes it from the CLI.
    const cli = (command: typeof noticePause) => {
      const { args, flags } = parseCommandArgs(command, [`N${id}`])
      return runCli(
        command,
        { DATABASE_URL: d.t.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: d.prefix },
        args,
        flags,
      )
    }
    const resumed = await cli(noticeResume)
    expect(resumed.code).toBe(0)
    expect(resumed.lines[0]).toContain(`通知 N${id} 已继续发送`)
    await untilDone(d, id, 40_000)
    const after = await agreement(d, id)
    const failed = after.rooms.filter((r) => r.status === 'failed')
    expect(after.rooms.filter((r) => r.status === 'sent' && r.copies === 1)).toHaveLength(
      17 - failed.length,
    )
    expect(failed.every((r) => r.copies === 0)).toBe(true)
    // Once in its life: no second message, and pausing a finished notice is refused.
    expect(
      d.network.transcript.filter((s) => s.fromBot && s.text.includes(`N${id} 发送失败过多`)),
    ).toHaveLength(1)
    const again = await cli(noticePause)
    expect(again.code).toBe(1)
    expect(noticeCopies(d, text)).toHaveLength(17 - failed.length)
  }, 60_000)

  it('继续 after Redis lost the parked sends: the rows no job holds are queued again, each said once', async () => {
    const text = '石桥铺街道老年大学下学期报名开始，请到街道文化站登记。'
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: '九龙坡区/石桥铺街道', text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    let seen = 0
    const held = holdSends(d, ACCOUNT, (_room, t) => unsigned(t) === text && ++seen === 2)
    try {
      await confirmNotice(d.services, { id, actor })
      await until(async () => held.held.length === 1)
      expect((await pauseNotice(d.services, { id, actor })).outcome).toBe('paused')
      // A second 暂停, and a replayed 确认, say it is paused; neither starts anything.
      expect((await pauseNotice(d.services, { id, actor })).outcome).toBe('alreadyPaused')
      expect((await confirmNotice(d.services, { id, actor })).message).toContain('已处于暂停状态')
    } finally {
      held.undo()
    }
    const queue = d.services.messenger.queueOf(ACCOUNT)
    await until(async () => ((await queue.getJobCounts('delayed')).delayed ?? 0) > 0)
    await until(async () => (await queue.getJobCounts('active')).active === 0)
    // No reconciler from here on (the file's last test): the resume alone must find them.
    await d.workers?.reconciler?.close()
    // Redis loses everything of the account's queue (a FLUSHALL, a lost AOF).
    await queue.obliterate({ force: true })
    const openRows = async () =>
      (await statusesOf(id)).filter((s) => s === 'pending' || s === 'sending').length
    // The sends said just before the pause are recorded behind them (written in batches).
    await until(async () => (await openRows()) === 17 - noticeCopies(d, text).length)
    const open = await openRows()
    expect(open).toBeGreaterThan(0)

    const resumed = await resumeNotice(d.services, { id, actor })
    expect(resumed).toMatchObject({ outcome: 'resumed', queued: true, woken: 0, requeued: open })
    await untilDone(d, id, 40_000)
    const after = await agreement(d, id)
    expect(after.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
    expect(after.outside).toBe(0)
    // A second 继续 has nothing to resume.
    expect((await resumeNotice(d.services, { id, actor })).outcome).toBe('notPaused')
  }, 60_000)
})
