import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { and, eq } from 'drizzle-orm'
import { FileBox } from 'file-box'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Said } from '../bot/mock-network.ts'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { type NoticeAttachment, storeNoticeFile } from '../broadcasts/notice-attachments.ts'
import { resendFailed } from '../broadcasts/resend-notice.ts'
import { unsigned } from '../broadcasts/signature.ts'
import { parseCommandArgs } from '../cli/argv.ts'
import type { CliCommand } from '../cli/command.ts'
import { noticeRecall } from '../cli/commands/notice-recall.ts'
import { noticeSend } from '../cli/commands/notice-send.ts'
import { auditLog } from '../db/schema/audit.ts'
import { deliveries, deliveryMessages } from '../db/schema/broadcasts.ts'
import { groups, units } from '../db/schema/network.ts'
import {
  type BroadcastDistrict,
  codeIn,
  FAST_SEND_RETRIES,
  holdSends,
  memberActor,
  replyTo,
  startBroadcastDistrict,
  until,
  untilDone,
} from './support/broadcasts-district.ts'
import { runCli } from './support/cli.ts'
import { RecallingPuppet } from './support/recalling-puppet.ts'
import { redisUrl } from './support/redis.ts'

const STAFF = '石桥铺街道新时代文明实践所工作群'
const ACCOUNT = 'bot-shiqiaopu'
/** A 1×1 PNG: a real picture, small. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
const picture = (name: string, data = PNG) => FileBox.fromBase64(data.toString('base64'), name)

describe('notices with pictures, and 撤回', () => {
  let d: BroadcastDistrict
  let dataDir: string
  const notices = { attachmentMaxBytes: 64 * 1024, recallWindowMs: 120_000 }
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'quanqun-attach-'))
    d = await startBroadcastDistrict({
      // The reconciler as in production, only faster: it must not settle a say held in flight.
      workers: {
        reconcile: { intervalMs: 200, staleMs: 5_000 },
        sendJobOptions: FAST_SEND_RETRIES,
      },
      mockPuppet: (mocker) => new RecallingPuppet(mocker),
      dataDir,
      notices,
    })
  })
  afterAll(async () => {
    await d?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  const liuyang = () => memberActor(d.t.db, 'wxid_liuyang')
  /** A notice to the township drafted by its propagandist, answering in the staff room. */
  const draft = async (text: string, attachments: NoticeAttachment[] = []) => {
    const [staff] = await d.t.db
      .select({ roomId: groups.roomId })
      .from(groups)
      .where(eq(groups.topic, STAFF))
    const created = await createNotice(d.services, {
      actor: await liuyang(),
      scope: '石桥铺街道',
      text,
      replyTo: { account: ACCOUNT, roomId: staff!.roomId! },
      attachments,
    })
    if (!created.ok) throw new Error(created.message)
    return created.notice.id
  }
  const puppet = () => d.network.account(ACCOUNT).mocker.puppet as unknown as RecallingPuppet
  const topicOf = async () =>
    new Map(
      (
        await d.t.db
          .select({ roomId: groups.roomId, topic: groups.topic, tier: units.tier })
          .from(groups)
          .innerJoin(units, eq(units.id, groups.unitId))
      ).map((g) => [g.roomId, g]),
    )
  /** The notice's rows with their room. */
  const rowsOf = (id: number) =>
    d.t.db
      .select({
        id: deliveries.id,
        roomId: groups.roomId,
        tier: deliveries.tier,
        status: deliveries.status,
        parts: deliveries.parts,
        partsSaid: deliveries.partsSaid,
        recall: deliveries.recall,
        lastError: deliveries.lastError,
      })
      .from(deliveries)
      .innerJoin(groups, eq(groups.id, deliveries.groupId))
      .where(eq(deliveries.noticeId, id))
  /** What the bot said into each room for this notice: its text or the named picture. */
  const saidPerRoom = (text: string, file: string) => {
    const per = new Map<string, string[]>()
    for (const s of d.network.transcript as Said[]) {
      if (!s.fromBot) continue
      const what = s.file === file ? 'picture' : unsigned(s.text) === text ? 'text' : undefined
      if (what) per.set(s.roomId, [...(per.get(s.roomId) ?? []), what])
    }
    return per
  }

  it('a picture sent in the staff room goes with the next 通知: text then picture in each of the 17 groups, once; a failed picture is retried alone', async () => {
    const text = '本周六上午9点石桥铺街道开展义诊，请见海报。'
    const held = replyTo(d, STAFF, '已收到 1 个附件')
    d.network.say('wxid_liuyang', STAFF, picture('义诊海报.png'))
    await held
    const preview = replyTo(d, STAFF, '共 17 个群')
    d.network.say('wxid_liuyang', STAFF, `通知 ${text}`)
    const previewText = (await preview).text
    expect(previewText).toContain('附件：图片 1（文字之后依次发出）')
    const id = codeIn(previewText)

    // One group's picture is refused once: it must be said again alone, its text not repeated.
    const rooms = await topicOf()
    const victim = [...rooms.values()].find((g) => g.topic === '科园社区第一网格1栋居民群')!
    let refused = 0
    puppet().refuse = (to, what) => to === victim.roomId && what === '义诊海报.png' && refused++ < 1
    try {
      d.network.say('wxid_liuyang', STAFF, `确认 N${id}`)
      await untilDone(d, id)
    } finally {
      puppet().refuse = () => false
    }
    expect(refused).toBe(2) // asked twice: refused once, said the second time

    const said = saidPerRoom(text, '义诊海报.png')
    const rows = await rowsOf(id)
    expect(rows).toHaveLength(17)
    for (const row of rows) {
      expect({ room: rooms.get(row.roomId)?.topic, said: said.get(row.roomId!) }).toEqual({
        room: rooms.get(row.roomId)?.topic,
        said: ['text', 'picture'],
      })
      expect(row).toMatchObject({ status: 'sent', parts: 2, partsSaid: 2 })
    }
    // No copy anywhere else, and the picture is stored once, under its hash.
    expect([...said.keys()].every((room) => rows.some((r) => r.roomId === room))).toBe(true)
    const stored = (await readdir(join(dataDir, 'attachments'), { recursive: true })).filter((f) =>
      /^[0-9a-f]{64}$/.test(f.split('/').pop() ?? ''),
    )
    expect(stored).toHaveLength(1)
    // Every message's id was kept for 撤回: 17 texts and 17 pictures.
    const ids = await d.t.db
      .select({ part: deliveryMessages.part })
      .from(deliveryMessages)
      .innerJoin(deliveries, eq(deliveries.id, deliveryMessages.deliveryId))
      .where(eq(deliveries.noticeId, id))
    expect(ids.filter((m) => m.part === 0)).toHaveLength(17)
    expect(ids.filter((m) => m.part === 1)).toHaveLength(17)
  })

  it('a group whose text failed gets its picture only after the text: the reconciler queues what the page had to leave', async () => {
    const text = '本周日石桥铺街道开展志愿服务，请见附件。'
    const stored = await storeNoticeFile(d.services, { name: '志愿服务.png', data: PNG })
    if (!stored.ok) throw new Error(stored.message)
    const id = await draft(text, [stored.attachment])
    const rooms = await topicOf()
    const victim = [...rooms.values()].find((g) => g.topic === '科园社区第二网格2栋居民群')!
    let refused = 0
    puppet().refuse = (to, what) => to === victim.roomId && unsigned(what) === text && refused++ < 1
    try {
      await confirmNotice(d.services, { id, actor: await liuyang() })
      await untilDone(d, id, 30_000)
    } finally {
      puppet().refuse = () => false
    }
    expect(refused).toBe(2)
    const said = saidPerRoom(text, '志愿服务.png')
    const rows = await rowsOf(id)
    expect(rows.map((r) => said.get(r.roomId!))).toEqual(rows.map(() => ['text', 'picture']))
    expect(rows.every((r) => r.status === 'sent' && r.partsSaid === 2)).toBe(true)
  })

  it('a picture that fails for good leaves its group failed with the text said; 重发 says the picture only', async () => {
    const text = '石桥铺街道垃圾分类宣传，请见图。'
    const stored = await storeNoticeFile(d.services, { name: '分类指南.png', data: PNG })
    if (!stored.ok) throw new Error(stored.message)
    const id = await draft(text, [stored.attachment])
    const rooms = await topicOf()
    const victim = [...rooms.values()].find((g) => g.topic === '科园社区第一网格2栋居民群')!
    puppet().refuse = (to, what) => to === victim.roomId && what === '分类指南.png'
    try {
      await confirmNotice(d.services, { id, actor: await liuyang() })
      await untilDone(d, id, 30_000)
      const failed = (await rowsOf(id)).filter((r) => r.status !== 'sent')
      expect(failed).toMatchObject([{ roomId: victim.roomId, status: 'failed', partsSaid: 1 }])
    } finally {
      puppet().refuse = () => false
    }
    const resent = await resendFailed(d.services, { id, actor: await liuyang() })
    expect(resent.outcome).toBe('resent')
    await until(async () => (await rowsOf(id)).every((r) => r.status === 'sent'), 20_000)
    const said = saidPerRoom(text, '分类指南.png')
    expect(said.get(victim.roomId!)).toEqual(['text', 'picture'])
    const rows = await rowsOf(id)
    expect(rows.map((r) => said.get(r.roomId!))).toEqual(rows.map(() => ['text', 'picture']))
  })

  it('refuses a picture above the configured size, in Chinese, and keeps nothing', async () => {
    const refusal = replyTo(d, STAFF, '附件太大')
    d.network.say('wxid_liuyang', STAFF, picture('大海报.png', Buffer.alloc(65 * 1024)))
    expect((await refusal).text).toContain('不能超过 64KB')
  })

  it('撤回 after a partial delivery: pending sends stop, what was said is taken back, counts per tier', async () => {
    const text = '今晚8点石桥铺街道停电检修（此条将撤回）。'
    // Drafted and confirmed through the domain: the chat allows a talker five commands a minute.
    const id = await draft(text)

    // Five groups get it; the sixth say is held in flight while 撤回 arrives.
    let sends = 0
    const hold = holdSends(d, ACCOUNT, (_room, said) => unsigned(said) === text && ++sends > 5)
    // One group's take-back is refused by the platform: recorded as failed.
    const firstTwo: string[] = []
    puppet().refuseRecall = (messageId) => messageId === firstTwo[1]
    try {
      await confirmNotice(d.services, { id, actor: await liuyang() })
      await until(async () => hold.held.length === 1)
      const saidIds = () =>
        d.t.db
          .select({ messageId: deliveryMessages.messageId })
          .from(deliveryMessages)
          .innerJoin(deliveries, eq(deliveries.id, deliveryMessages.deliveryId))
          .where(eq(deliveries.noticeId, id))
          .orderBy(deliveryMessages.deliveryId)
      // The five said are written behind their says, within a batch's gather time.
      await until(async () => (await saidIds()).length === 5)
      firstTwo.push(...(await saidIds()).slice(0, 2).map((m) => m.messageId))

      const started = replyTo(d, STAFF, `通知 N${id} 已停止发送`)
      d.network.say('wxid_liuyang', STAFF, `撤回 N${id}`)
      // The say in flight finishes; its message is taken back with the others.
      setTimeout(() => hold.release(), 300)
      const m = /已停止发送（(\d+) 个群未发出），正在撤回已发出的 (\d+) 条消息/.exec(
        (await started).text,
      )
      const [stopped, asked] = [Number(m?.[1]), Number(m?.[2])]
      const report = await replyTo(d, STAFF, `撤回 N${id} 结果`, 20_000)

      // Six were said (the sixth in flight when 撤回 came); a send claimed ahead may follow it
      // (CLAIM_MS), and is taken back too. Every other group never had it.
      const rows = await rowsOf(id)
      const reached = rows.filter((r) => r.partsSaid > 0)
      expect(asked).toBeGreaterThanOrEqual(6)
      expect(reached).toHaveLength(asked)
      expect(stopped).toBeLessThanOrEqual(17 - asked)
      expect(rows.filter((r) => r.status === 'skipped')).toHaveLength(17 - asked)
      expect(reached.filter((r) => r.recall === 'failed')).toHaveLength(1)
      expect(reached.filter((r) => r.recall === 'recalled')).toHaveLength(asked - 1)
      // The platform took back exactly the messages said, but the refused one.
      expect(puppet().recalled.sort()).toEqual(
        (
          await d.t.db
            .select({ messageId: deliveryMessages.messageId })
            .from(deliveryMessages)
            .innerJoin(deliveries, eq(deliveries.id, deliveryMessages.deliveryId))
            .where(and(eq(deliveries.noticeId, id), eq(deliveryMessages.recall, 'recalled')))
        )
          .map((m) => m.messageId)
          .sort(),
      )
      expect(puppet().recalled).not.toContain(firstTwo[1])
      // Counts per tier, as the rows say.
      const tierName = { 2: '街道', 3: '社区', 4: '网格', 5: '楼栋' } as Record<number, string>
      for (const tier of new Set(reached.map((r) => r.tier))) {
        const of = reached.filter((r) => r.tier === tier)
        const recalled = of.filter((r) => r.recall === 'recalled').length
        expect(report.text).toContain(
          `${tierName[tier]}：${recalled > 0 ? `已撤回 ${recalled}` : ''}`,
        )
      }
      expect(report.text).toContain('撤回失败 1')
    } finally {
      hold.undo()
      puppet().refuseRecall = () => false
    }
    const [audit] = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'notice.recall'), eq(auditLog.allowed, true)))
    expect(audit?.detail).toMatchObject({ notice: `N${id}` })
  })

  it('the CLI: --image and --link go after the text; recall past the window takes nothing back, counts per tier', async () => {
    const text = '石桥铺街道文明实践活动月安排，详见图片和文章。'
    const poster = join(dataDir, 'plan.png')
    await writeFile(poster, PNG)
    const env = {
      DATABASE_URL: d.t.url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: d.prefix,
      DATA_DIR: dataDir,
      NOTICE_RECALL_WINDOW_S: '1',
    }
    const cli = (command: CliCommand, argv: string[]) => {
      const { args, flags } = parseCommandArgs(command, argv)
      return runCli(command, env, args, flags)
    }
    const sent = await cli(noticeSend, [
      '--scope',
      '石桥铺街道',
      '--text',
      text,
      '--image',
      poster,
      '--link',
      'https://example.org/wenming/2026-12',
      '--link-title',
      '活动月安排',
      '--yes',
    ])
    expect(sent.code).toBe(0)
    const id = codeIn(sent.lines.join('\n'))
    await untilDone(d, id)
    const rooms = await topicOf()
    const per = new Map<string, string[]>()
    for (const s of d.network.transcript as Said[]) {
      if (!s.fromBot) continue
      const what =
        s.file === 'plan.png'
          ? 'picture'
          : s.text.startsWith('[卡片] 活动月安排 https://example.org/wenming/2026-12')
            ? 'card'
            : unsigned(s.text) === text
              ? 'text'
              : undefined
      if (what) per.set(s.roomId, [...(per.get(s.roomId) ?? []), what])
    }
    const rows = await rowsOf(id)
    expect(rows.map((r) => [rooms.get(r.roomId)?.topic, per.get(r.roomId!)])).toEqual(
      rows.map((r) => [rooms.get(r.roomId)?.topic, ['text', 'picture', 'card']]),
    )
    expect(rows.every((r) => r.status === 'sent' && r.partsSaid === 3)).toBe(true)

    // NOTICE_RECALL_WINDOW_S=1: everything is past it a second later; nothing is asked back.
    await new Promise((r) => setTimeout(r, 1_100))
    const before = puppet().recalled.length
    const recalled = await cli(noticeRecall, [`N${id}`, '--wait', '5'])
    expect(recalled.code).toBe(0)
    expect(recalled.lines.join('\n')).toContain('51 条已超过撤回时限')
    expect(recalled.lines).toContain('社区：超时无法撤回 4')
    expect(recalled.lines).toContain('楼栋：超时无法撤回 8')
    expect(puppet().recalled.length).toBe(before)
    expect((await rowsOf(id)).every((r) => r.recall === 'too-late')).toBe(true)
  })

  it('撤回 by someone who may not manage the notice is refused and audited', async () => {
    const id = await draft('另一条通知。')
    const refused = replyTo(d, '杨家坪街道新时代文明实践所工作群', `N${id}`)
    d.network.say('wxid_chenjing', '杨家坪街道新时代文明实践所工作群', `撤回 N${id}`)
    expect((await refused).text).toContain(`通知 N${id} 不是您发起的`)
    const rows = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'notice.recall'), eq(auditLog.allowed, false)))
    expect(rows.some((r) => (r.detail as { notice?: string }).notice === `N${id}`)).toBe(true)
  })
})

describe('a picture notice under pacing', () => {
  // Scaled down from production (1.5 s between sends, 3 s per room) by 15.
  const pacing = {
    perMinute: 100_000,
    minGapMs: 100,
    jitterMs: 0,
    roomGapMs: 200,
    cooldownMs: 1_000,
  }
  let d: BroadcastDistrict
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'quanqun-attach-paced-'))
    d = await startBroadcastDistrict({ pacing, dataDir, mockPuppet: (m) => new RecallingPuppet(m) })
  })
  afterAll(async () => {
    await d?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('paces and counts every message: the picture waits its room gap, the account its gap, and nothing stalls', async () => {
    const text = '石桥铺街道消防演练通知，请见示意图。'
    const stored = await storeNoticeFile(d.services, { name: '示意图.png', data: PNG })
    if (!stored.ok) throw new Error(stored.message)
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, {
      actor,
      scope: '石桥铺街道',
      text,
      attachments: [stored.attachment],
    })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    const from = d.network.transcript.length
    const started = Date.now()
    await confirmNotice(d.services, { id, actor })
    await untilDone(d, id, 30_000)
    const ms = Date.now() - started
    const sends = d.network.transcript
      .slice(from)
      .filter((s) => s.fromBot && (s.file === '示意图.png' || unsigned(s.text) === text))
    expect(sends).toHaveLength(34)
    // The account's gap between any two messages, and the room gap between a group's two.
    for (let i = 1; i < sends.length; i++) {
      expect(sends[i]!.at - sends[i - 1]!.at).toBeGreaterThanOrEqual(pacing.minGapMs - 5)
    }
    const lastIn = new Map<string, number>()
    for (const s of sends) {
      const before = lastIn.get(s.roomId)
      if (before !== undefined) expect(s.at - before).toBeGreaterThanOrEqual(pacing.roomGapMs - 5)
      lastIn.set(s.roomId, s.at)
    }
    // 34 messages at 100 ms apart is 3.3 s at best: interleaving keeps pictures off the room gap.
    console.log(`paced picture notice: 34 messages to 17 groups in ${ms} ms (floor 3,300 ms)`)
    expect(ms).toBeLessThan(3_300 * 2)
  })
})
