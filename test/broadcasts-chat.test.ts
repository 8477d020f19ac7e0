import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NoticeActor } from '../broadcasts/authorize.ts'
import { cancelNotice, confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { auditLog } from '../db/schema/audit.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import {
  agreement,
  type BroadcastDistrict,
  codeIn,
  FAST_RECONCILE,
  memberActor,
  noticeCopies,
  replyTo,
  startBroadcastDistrict,
  tierOrderByAccount,
  until,
  untilDone,
} from './support/broadcasts-district.ts'

const STAFF = '石桥铺街道新时代文明实践所工作群'
const OTHER_STAFF = '杨家坪街道新时代文明实践所工作群'
const SHIQIAOPU = '九龙坡区/石桥铺街道'

describe('notices on the sample district, by chat', () => {
  let d: BroadcastDistrict
  beforeAll(async () => {
    d = await startBroadcastDistrict({ workers: { reconcile: FAST_RECONCILE } })
  })
  afterAll(async () => {
    await d?.stop()
  })

  const member = (wechatId: string) => memberActor(d.t.db, wechatId)
  const linesIn = (topic: string, includes: string) =>
    d.network.botLines(topic).filter((l) => l.includes(includes))

  it('a township propagandist notifies the township: once per group, top tier first, receipts match', async () => {
    const text = '明天上午9点至12点石桥铺片区停水，请提前储水。'
    const preview = replyTo(d, STAFF, '共 17 个群')
    d.network.say('wxid_liuyang', STAFF, `通知 ${text}`)
    const previewText = (await preview).text
    expect(previewText).toMatch(
      /^@刘洋 通知 N\d+ 共 17 个群：街道 1、社区 4、网格 4、楼栋 8。\n内容：明天上午9点至12点/,
    )
    expect(previewText).toContain('回复「确认 N')
    const id = codeIn(previewText)

    // Nothing goes out before 确认, not even once the reconciler has had a few runs.
    await new Promise((r) => setTimeout(r, 3 * FAST_RECONCILE.staleMs))
    expect(noticeCopies(d, text)).toHaveLength(0)
    const drafted = await d.t.db.select().from(deliveries).where(eq(deliveries.noticeId, id))
    expect(drafted.map((r) => r.status)).toEqual(Array(17).fill('pending'))

    // 确认 and its replay: one fan-out, the replay is told so.
    const confirmed = replyTo(d, STAFF, `通知 N${id} 已确认，开始发布到 17 个群`)
    const replayed = replyTo(d, STAFF, `通知 N${id} 已确认过`)
    d.network.say('wxid_liuyang', STAFF, `确认 N${id}`)
    d.network.say('wxid_liuyang', STAFF, `确认 N${id}`)
    await Promise.all([confirmed, replayed])
    await untilDone(d, id)

    const a = await agreement(d, id)
    expect(a.rooms).toHaveLength(17)
    expect(a.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
    expect(a.outside).toBe(0)
    const order = await tierOrderByAccount(d, text)
    expect([...order.keys()]).toEqual(['bot-shiqiaopu'])
    const tiers = order.get('bot-shiqiaopu')!
    expect(tiers).toEqual([...tiers].sort((x, y) => x - y))
    expect(tiers[0]).toBe(2)

    // The author's room: one summary, and a line as each upper tier completed.
    await until(async () => linesIn(STAFF, `通知 N${id} 发布完毕`).length > 0)
    expect(linesIn(STAFF, `通知 N${id} 发布完毕`)).toEqual([
      `通知 N${id} 发布完毕：共 17 个群，送达 17，失败 0。`,
    ])
    expect(
      linesIn(STAFF, `通知 N${id} 进度`).map((l) => l.slice(l.indexOf('：') + 1, l.indexOf('级'))),
    ).toEqual(['街道', '社区', '网格'])

    const receipt = replyTo(d, STAFF, `通知 N${id}（已完成）`)
    d.network.say('wxid_liuyang', STAFF, `回执 N${id}`)
    const lines = (await receipt).text.split('\n')
    expect(lines[0]).toBe(`@刘洋 通知 N${id}（已完成）范围「${SHIQIAOPU}」：送达 17 / 共 17`)
    expect(lines.slice(1)).toEqual([
      '街道：送达 1 / 共 1',
      '社区：送达 4 / 共 4',
      '网格：送达 4 / 共 4',
      '楼栋：送达 8 / 共 8',
    ])
    const audits = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorRef, 'wxid_liuyang'), eq(auditLog.allowed, true)))
    expect(audits.map((r) => r.action).sort()).toEqual(['notice.confirm', 'notice.create'])
  })

  it('重发 reaches the resend: a draft cannot be resent, a sent notice with no failures needs none', async () => {
    // 王芳 (district) speaks here: 刘洋 has had his five answers of the minute above.
    const preview = replyTo(d, STAFF, '共 ')
    d.network.say('wxid_wangfang', STAFF, '通知 【科园社区】 周六上午义诊')
    const id = codeIn((await preview).text)
    const draft = replyTo(d, STAFF, `通知 N${id} 尚未发布或已撤销，无法重发。`)
    d.network.say('wxid_wangfang', STAFF, `重发 N${id}`)
    await draft
    const confirmed = replyTo(d, STAFF, `通知 N${id} 已确认`)
    d.network.say('wxid_wangfang', STAFF, `确认 N${id}`)
    await confirmed
    await untilDone(d, id)
    const none = replyTo(d, STAFF, `通知 N${id} 没有发送失败的群，无需重发。`)
    d.network.say('wxid_wangfang', STAFF, `重发 N${id}`)
    await none
  })

  it('refuses a resident and a propagandist of another township, and audits both', async () => {
    const text = '【测试】越权通知不应发出'
    const resident = replyTo(d, '科园社区第一网格1栋居民群', '没有在本单位')
    d.network.say('wxid_linxiuying', '科园社区第一网格1栋居民群', `通知 石桥铺街道 ${text}`)
    await resident
    const other = replyTo(d, OTHER_STAFF, '没有向')
    d.network.say('wxid_chenjing', OTHER_STAFF, `通知 石桥铺街道 ${text}`)
    expect((await other).text).toBe(`@陈静 抱歉，您没有向「${SHIQIAOPU}」发布通知的权限。`)

    const refused = await d.t.db.select().from(auditLog).where(eq(auditLog.allowed, false))
    expect(refused.map((r) => [r.actorRef, r.action]).sort()).toEqual([
      ['wxid_chenjing', 'notice.create'],
      ['wxid_linxiuying', 'command.notice'],
    ])
    const written = await d.t.db.select().from(notices).where(eq(notices.text, text))
    expect(written).toEqual([])

    // 陈静 can neither confirm nor read 刘洋's notice.
    const draft = await createNotice(d.services, {
      actor: await member('wxid_liuyang'),
      scope: SHIQIAOPU,
      text: '草稿：只有发起人能确认',
    })
    expect(draft.ok).toBe(true)
    const id = draft.ok ? draft.notice.id : 0
    const notYours = replyTo(d, OTHER_STAFF, `通知 N${id} 不是您发起的`)
    d.network.say('wxid_chenjing', OTHER_STAFF, `确认 N${id}`)
    await notYours
    const noReceipt = replyTo(d, OTHER_STAFF, `没有查看通知 N${id} 回执的权限`)
    d.network.say('wxid_chenjing', OTHER_STAFF, `回执 N${id}`)
    await noReceipt
    const [row] = await d.t.db.select().from(notices).where(eq(notices.id, id))
    expect(row?.status).toBe('draft')
    const more = await d.t.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.actorRef, 'wxid_chenjing'), eq(auditLog.allowed, false)))
    expect(more.map((r) => r.action).sort()).toEqual([
      'notice.confirm',
      'notice.create',
      'notice.receipt',
    ])
  })

  it('starts one fan-out however many confirms race, and an admin over the scope may confirm', async () => {
    const text = '本周六上午在科园社区广场开展义诊活动，欢迎居民参加。'
    const liuyang = await member('wxid_liuyang')
    const created = await createNotice(d.services, {
      actor: liuyang,
      scope: SHIQIAOPU,
      text,
      replyTo: { account: 'bot-shiqiaopu', roomId: d.network.room(STAFF).room.id },
    })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    const results = await Promise.all([
      confirmNotice(d.services, { id, actor: liuyang }),
      confirmNotice(d.services, { id, actor: liuyang }),
      confirmNotice(d.services, { id, actor: await member('wxid_zhaolei') }),
    ])
    expect(results.map((r) => r.outcome).sort()).toEqual([
      'alreadyConfirmed',
      'alreadyConfirmed',
      'confirmed',
    ])
    await untilDone(d, id)
    const a = await agreement(d, id)
    expect(a.rooms.every((r) => r.copies === 1 && r.status === 'sent')).toBe(true)
    expect(a.outside).toBe(0)
    const again = await confirmNotice(d.services, { id, actor: liuyang })
    expect(again.outcome).toBe('alreadyDone')
  })

  it('resolves scopes by name or path, limits tiers, and answers bad input clearly', async () => {
    const liuyang = await member('wxid_liuyang')
    const chenjing = await member('wxid_chenjing')
    const draft = (actor: NoticeActor, scope: string | undefined, extra: object = {}) =>
      createNotice(d.services, { actor, scope, text: '范围测试', ...extra })

    const ambiguous = await draft(liuyang, '第一网格')
    expect(ambiguous).toMatchObject({ ok: false, reason: 'ambiguousScope' })
    if (!ambiguous.ok) expect(ambiguous.message).toContain('「第一网格」对应 3 个单位')
    // The one 第一网格 陈静 may reach is hers.
    const hers = await draft(chenjing, '第一网格')
    expect(hers.ok && hers.scope.path).toBe('九龙坡区/杨家坪街道/西郊路社区/第一网格')
    const tail = await draft(liuyang, '科园社区 > 第二网格')
    expect(tail.ok && tail.scope.path).toBe(`${SHIQIAOPU}/科园社区/第二网格`)
    const gridsOnly = await draft(liuyang, '石桥铺街道', { tiers: [4] })
    expect(gridsOnly.ok && gridsOnly.plan.perTier).toEqual({ 1: 0, 2: 0, 3: 0, 4: 4, 5: 0 })
    const own = await draft(liuyang, undefined)
    expect(own.ok && own.scope.path).toBe(SHIQIAOPU)

    expect(await draft(liuyang, '不存在街道')).toMatchObject({ reason: 'unknownScope' })
    expect(await draft(liuyang, SHIQIAOPU, { tiers: [1] })).toMatchObject({
      ok: false,
      reason: 'noGroups',
      message: '「九龙坡区/石桥铺街道」下仅区没有可发送的群，未生成通知。',
    })
    expect(await draft(liuyang, SHIQIAOPU, { text: ' \n ' })).toMatchObject({
      reason: 'emptyText',
    })
    expect(await draft(liuyang, SHIQIAOPU, { text: '停'.repeat(2001) })).toMatchObject({
      reason: 'tooLong',
      message: '通知正文过长（2,001 字），请控制在 2,000 字以内。',
    })
    const resident: NoticeActor = { kind: 'member', ref: 'wxid_linxiuying', member: undefined }
    expect(await draft(resident, SHIQIAOPU)).toMatchObject({ reason: 'refused' })
    expect(await draft(resident, undefined)).toMatchObject({ reason: 'noDefaultScope' })
  })

  it('cancels a draft (nothing sent, confirm refused afterwards)', async () => {
    const liuyang = await member('wxid_liuyang')
    const created = await createNotice(d.services, {
      actor: liuyang,
      scope: SHIQIAOPU,
      text: '这条通知会被作废',
    })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    const cancelled = await cancelNotice(d.services, { id, actor: liuyang })
    expect(cancelled.message).toBe(`通知 N${id} 已作废，没有发送到任何群。`)
    expect((await confirmNotice(d.services, { id, actor: liuyang })).outcome).toBe('cancelled')
    const rows = await d.t.db.select().from(deliveries).where(eq(deliveries.noticeId, id))
    expect(new Set(rows.map((r) => `${r.status}:${r.lastError}`))).toEqual(
      new Set(['skipped:通知已撤销']),
    )
    await new Promise((r) => setTimeout(r, 2 * FAST_RECONCILE.staleMs))
    expect(noticeCopies(d, '这条通知会被作废')).toHaveLength(0)
  })
})
