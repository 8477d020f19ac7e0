import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { parseCommandArgs } from '../cli/argv.ts'
import { noticeSend } from '../cli/commands/notice-send.ts'
import { auditLog } from '../db/schema/audit.ts'
import { deliveries } from '../db/schema/broadcasts.ts'
import {
  type BroadcastDistrict,
  codeIn,
  FAST_RECONCILE,
  FAST_SEND_RETRIES,
  failSends,
  memberActor,
  noticeCopies,
  replyTo,
  startBroadcastDistrict,
  untilDone,
} from './support/broadcasts-district.ts'
import { runCli } from './support/cli.ts'
import { redisUrl } from './support/redis.ts'

const STAFF = '石桥铺街道新时代文明实践所工作群'
const OTHER_STAFF = '杨家坪街道新时代文明实践所工作群'

describe('更正: a correction to exactly the groups that received the notice', () => {
  let d: BroadcastDistrict
  beforeAll(async () => {
    d = await startBroadcastDistrict({
      workers: { reconcile: FAST_RECONCILE, sendJobOptions: FAST_SEND_RETRIES },
    })
  })
  afterAll(async () => {
    await d?.stop()
  })

  /** 刘洋's notice to the township, said everywhere but in `missing`, which refuses it. */
  async function sentWithout(text: string, missing: string): Promise<number> {
    const dead = d.network.room(missing).room.id
    const undo = failSends(d, 'bot-shiqiaopu', (roomId, t) => roomId === dead && t.startsWith(text))
    try {
      const id = await draft(text)
      const actor = await memberActor(d.t.db, 'wxid_liuyang')
      expect((await confirmNotice(d.services, { id, actor })).outcome).toBe('confirmed')
      await untilDone(d, id)
      return id
    } finally {
      undo()
    }
  }

  async function draft(text: string): Promise<number> {
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: '石桥铺街道', text })
    if (!created.ok) throw new Error(created.message)
    return created.notice.id
  }

  it('goes to the 16 groups that got N, not the one it failed in, with a receipt of its own', async () => {
    const text = '周六上午9点石桥铺片区停水，请提前储水。'
    const missing = '科园社区第一网格1栋居民群'
    const id = await sentWithout(text, missing)
    const reached = noticeCopies(d, text).map((s) => s.topic)
    expect(reached).toHaveLength(16)
    expect(reached).not.toContain(missing)

    const preview = replyTo(d, STAFF, '共 16 个群')
    d.network.say('wxid_liuyang', STAFF, `更正 N${id} 停水时间改为周日上午9点`)
    const previewText = (await preview).text
    expect(previewText).toContain(`内容：【更正 N${id}】停水时间改为周日上午9点`)
    const fix = codeIn(previewText)
    expect(fix).not.toBe(id)
    const confirmed = replyTo(d, STAFF, `通知 N${fix} 已确认`)
    d.network.say('wxid_liuyang', STAFF, `确认 N${fix}`)
    await confirmed
    await untilDone(d, fix)

    const corrected = noticeCopies(d, `【更正 N${id}】停水时间改为周日上午9点`)
    expect(corrected.map((s) => s.topic).sort()).toEqual([...reached].sort())
    for (const s of corrected) expect(s.text).toMatch(new RegExp(`——新时代文明实践中心 N${fix}$`))
    const rows = await d.t.db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.noticeId, fix), eq(deliveries.status, 'sent')))
    expect(rows).toHaveLength(16)

    const receipt = replyTo(d, STAFF, `N${fix}`)
    d.network.say('wxid_liuyang', STAFF, `回执 N${fix}`)
    expect((await receipt).text).toContain('16')

    const [audit] = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'notice.create'), eq(auditLog.allowed, true)))
      .orderBy(auditLog.id)
      .then((all) => all.filter((a) => (a.detail as { corrects?: string }).corrects))
    expect(audit?.detail).toMatchObject({ notice: `N${fix}`, corrects: `N${id}`, groups: 16 })
  })

  it('refuses another township’s propagandist, a draft and an unknown notice', async () => {
    const drafted = await draft('明天社区义诊')
    const notSent = replyTo(d, STAFF, `通知 N${drafted} 尚未发布，无需更正`)
    d.network.say('wxid_liuyang', STAFF, `更正 N${drafted} 改为后天`)
    await notSent

    const id = await sentWithout('本周五开展消防演练。', '科园社区第二网格1栋居民群')
    const other = replyTo(d, OTHER_STAFF, '没有向')
    d.network.say('wxid_chenjing', OTHER_STAFF, `更正 N${id} 演练取消`)
    expect((await other).text).toContain('抱歉，您没有向「九龙坡区/石桥铺街道」发布通知的权限')

    const unknown = replyTo(d, STAFF, '未找到通知 N999999')
    d.network.say('wxid_wangfang', STAFF, '更正 N999999 改为后天')
    await unknown
    expect(noticeCopies(d, '【更正')).toEqual([])
  })

  it('the CLI drafts a correction with --corrects, and wants a scope or --corrects, not both', async () => {
    const id = await sentWithout('下周一上午社区疫苗接种。', '科园社区第二网格2栋居民群')
    const cli = (argv: string[]) => {
      const { args, flags } = parseCommandArgs(noticeSend, argv)
      return runCli(
        noticeSend,
        { DATABASE_URL: d.t.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: d.prefix },
        args,
        flags,
      )
    }
    const ok = await cli(['--corrects', `N${id}`, '--text', '改为下周二'])
    expect(ok.code).toBe(0)
    expect(ok.lines[0]).toMatch(/共 16 个群/)
    expect(ok.lines[1]).toBe(`内容：【更正 N${id}】改为下周二`)
    await expect(
      cli(['--corrects', `N${id}`, '--scope', '石桥铺街道', '--text', 'x']),
    ).rejects.toThrow('--corrects')
    await expect(cli(['--corrects', 'N12x', '--text', 'x'])).rejects.toThrow('未找到通知 N12x')
  })
})
