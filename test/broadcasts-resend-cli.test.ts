import { userInfo } from 'node:os'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { unsigned } from '../broadcasts/signature.ts'
import { parseCommandArgs } from '../cli/argv.ts'
import { noticeResend } from '../cli/commands/notice-resend.ts'
import { auditLog } from '../db/schema/audit.ts'
import {
  agreement,
  type BroadcastDistrict,
  FAST_RECONCILE,
  FAST_SEND_RETRIES,
  failSends,
  memberActor,
  noticeCopies,
  startBroadcastDistrict,
  untilDone,
} from './support/broadcasts-district.ts'
import { runCli } from './support/cli.ts'
import { redisUrl } from './support/redis.ts'

describe('quanqun notice resend', () => {
  let d: BroadcastDistrict
  beforeAll(async () => {
    d = await startBroadcastDistrict({
      workers: { reconcile: FAST_RECONCILE, sendJobOptions: FAST_SEND_RETRIES },
    })
  })
  afterAll(async () => {
    await d?.stop()
  })

  const resend = (code: string) => {
    const { args, flags } = parseCommandArgs(noticeResend, [code])
    return runCli(
      noticeResend,
      { DATABASE_URL: d.t.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: d.prefix },
      args,
      flags,
    )
  }

  it('queues the failed group once more as the operator, audited; a second run sends nothing', async () => {
    const text = '【通知】社区老年食堂本周起增设晚餐，欢迎老人前往就餐。'
    const topic = '科园社区第一网格1栋居民群'
    const dead = d.network.room(topic).room.id
    const undo = failSends(
      d,
      'bot-shiqiaopu',
      (roomId, t) => roomId === dead && unsigned(t) === text,
    )
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: '九龙坡区/石桥铺街道', text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    try {
      await confirmNotice(d.services, { id, actor })
      await untilDone(d, id)
    } finally {
      undo()
    }
    expect((await agreement(d, id)).rooms.filter((r) => r.status === 'failed')).toHaveLength(1)

    const first = await resend(`N${id}`)
    expect(first.code).toBe(0)
    expect(first.lines).toEqual([
      `通知 N${id}：1 个发送失败的群已重新排队发送（每个群只重发一次）。发送「回执 N${id}」查看进度。`,
    ])
    await untilDone(d, id)
    const a = await agreement(d, id)
    expect(a.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
    expect(noticeCopies(d, text)).toHaveLength(17)

    const second = await resend(`N${id}`)
    expect(second.code).toBe(1)
    expect(second.lines).toEqual([`通知 N${id} 没有发送失败的群，无需重发。`])
    expect(noticeCopies(d, text)).toHaveLength(17)

    const audits = await d.t.db
      .select({ actorRef: auditLog.actorRef, allowed: auditLog.allowed })
      .from(auditLog)
      .where(and(eq(auditLog.action, 'notice.resend')))
    expect(audits).toEqual([{ actorRef: `cli:${userInfo().username}`, allowed: true }])
  })
})
