import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCommandArgs } from '../cli/argv.ts'
import type { CliCommand } from '../cli/command.ts'
import { noticeCancel, noticeConfirm } from '../cli/commands/notice-confirm.ts'
import { noticeSend } from '../cli/commands/notice-send.ts'
import { noticeStatus } from '../cli/commands/notice-status.ts'
import { auditLog } from '../db/schema/audit.ts'
import { notices } from '../db/schema/broadcasts.ts'
import {
  agreement,
  type BroadcastDistrict,
  FAST_RECONCILE,
  startBroadcastDistrict,
  untilDone,
} from './support/broadcasts-district.ts'
import { runCli } from './support/cli.ts'
import { redisUrl } from './support/redis.ts'

describe('quanqun notice send / confirm / status / cancel', () => {
  let d: BroadcastDistrict
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qq-notice-cli-'))
    d = await startBroadcastDistrict({ workers: { reconcile: FAST_RECONCILE } })
  })
  afterAll(async () => {
    await d?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  /** Runs a command as bin/quanqun.js would, against the district's database and queues. */
  async function cli(command: CliCommand, argv: string[], env: Record<string, string> = {}) {
    const { args, flags } = parseCommandArgs(command, argv)
    return runCli(
      command,
      { DATABASE_URL: d.t.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: d.prefix, ...env },
      args,
      flags,
    )
  }
  const me = `cli:${userInfo().username}`

  it('drafts with a preview, confirms, reports status, and audits the operator', async () => {
    const text = '杨家坪街道各网格、楼栋：本周日上午开展环境卫生大扫除，请居民积极参与。'
    const sent = await cli(noticeSend, [
      '--scope',
      '九龙坡区/杨家坪街道',
      '--tiers',
      '4,5',
      '--text',
      text,
    ])
    expect(sent.code).toBe(0)
    expect(sent.lines[0]).toMatch(/^通知 N(\d+) 共 6 个群：网格 2、楼栋 4。$/)
    expect(sent.lines[2]).toMatch(/^运行「quanqun notice confirm N\d+」发布/)
    const code = /N\d+/.exec(sent.lines[0]!)![0]
    const id = Number(code.slice(1))

    const confirmed = await cli(noticeConfirm, [code])
    expect(confirmed).toEqual({
      code: 0,
      lines: [`通知 ${code} 已确认，开始发布到 6 个群。发送「回执 ${code}」查看进度。`],
    })
    await untilDone(d, id)
    const a = await agreement(d, id)
    expect(a.rooms.every((r) => r.copies === 1 && r.status === 'sent')).toBe(true)

    const status = await cli(noticeStatus, [code])
    expect(status.lines).toEqual([
      `通知 ${code}（已完成）范围「九龙坡区/杨家坪街道」：送达 6 / 共 6`,
      '网格：送达 2 / 共 2',
      '楼栋：送达 4 / 共 4',
    ])
    const json = await cli(noticeStatus, [code, '--json'])
    expect(JSON.parse(json.lines[0]!)).toMatchObject({
      code,
      status: 'done',
      totals: { total: 6, sent: 6, pending: 0, failed: 0, skipped: 0 },
    })
    const audit = await d.t.db.select().from(auditLog).where(eq(auditLog.actorRef, me))
    expect(audit.map((r) => [r.action, r.allowed])).toEqual([
      ['notice.create', true],
      ['notice.confirm', true],
    ])
  })

  it('sends a file at once with --yes, and a replayed confirm sends nothing twice', async () => {
    const file = join(dir, 'notice.txt')
    const text = '西郊路社区：周三下午社区医生上门随访，请独居老人家中留人。'
    await writeFile(file, `\uFEFF${text}\n`)
    const sent = await cli(noticeSend, ['--scope', '西郊路社区', '--text-file', file, '--yes'])
    expect(sent.code).toBe(0)
    const code = /N\d+/.exec(sent.lines[0]!)![0]
    expect(sent.lines[1]).toBe(
      `通知 ${code} 已确认，开始发布到 8 个群。发送「回执 ${code}」查看进度。`,
    )
    const again = await cli(noticeConfirm, [code])
    // Still sending or already done, depending on how fast 8 groups went out: never sent twice.
    expect(again.lines[0]).toMatch(/已确认过|已发布完毕/)
    await untilDone(d, Number(code.slice(1)))
    const a = await agreement(d, Number(code.slice(1)))
    expect(a.rooms).toHaveLength(8)
    expect(a.rooms.every((r) => r.copies === 1)).toBe(true)
  })

  it('confirms with Redis down; the reconciler sends it once Redis is back (PostgreSQL knew)', async () => {
    const sent = await cli(
      noticeSend,
      ['--scope', '九龙坡区/杨家坪街道', '--tiers', '2', '--text', '队列故障演练', '--yes'],
      { REDIS_URL: 'redis://127.0.0.1:1' },
    )
    expect(sent.lines.at(-1)).toBe('队列暂时不可用：通知已确认，后台对账会在队列恢复后补发。')
    const id = Number(/N(\d+)/.exec(sent.lines[0]!)![1])
    const [row] = await d.t.db.select().from(notices).where(eq(notices.id, id))
    expect(row?.status).toBe('confirmed')
    await untilDone(d, id)
    expect((await agreement(d, id)).rooms.map((r) => r.copies)).toEqual([1])
  })

  it('strips bidi and control characters from a notice typed on the CLI, as from chat', async () => {
    const sent = await cli(noticeSend, [
      '--scope',
      '西郊路社区',
      '--text',
      '今晚\u202E停水\u0007通知\u200B，请储水',
    ])
    expect(sent.code).toBe(0)
    const id = Number(/N(\d+)/.exec(sent.lines[0]!)![1])
    const [row] = await d.t.db.select().from(notices).where(eq(notices.id, id))
    expect(row?.text).toBe('今晚停水通知，请储水')
    for (const hidden of ['\u0007', '\u200B', '\u202E']) {
      expect(sent.lines.join('\n')).not.toContain(hidden)
    }
  })

  it('answers bad arguments with one usage line, and unknown notices with exit 1', async () => {
    await expect(cli(noticeSend, ['--scope', '九龙坡区'])).rejects.toThrow(/用法/)
    await expect(
      cli(noticeSend, ['--scope', '九龙坡区', '--text', 'x', '--tiers', '9']),
    ).rejects.toThrow(/--tiers/)
    await expect(
      cli(noticeSend, ['--scope', '九龙坡区', '--text', 'x', '--at', '明天']),
    ).rejects.toThrow(/--at/)
    await expect(cli(noticeConfirm, ['twelve'])).rejects.toThrow(/通知号/)
    expect(await cli(noticeStatus, ['N999999'])).toEqual({
      code: 1,
      lines: ['未找到通知 N999999。'],
    })
    expect(await cli(noticeSend, ['--scope', '不存在', '--text', 'x'])).toMatchObject({
      code: 1,
    })
    const past = await cli(noticeSend, [
      '--scope',
      '九龙坡区',
      '--text',
      'x',
      '--at',
      '2020-01-01 09:00',
    ])
    expect(past).toEqual({ code: 1, lines: ['发布时间 2020-01-01 09:00 已过，请写将来的时间。'] })
    const draft = await cli(noticeSend, ['--scope', '九龙坡区', '--text', '将被作废'])
    const code = /N\d+/.exec(draft.lines[0]!)![0]
    expect((await cli(noticeCancel, [code])).lines).toEqual([
      `通知 ${code} 已作废，没有发送到任何群。`,
    ])
    expect((await cli(noticeCancel, [code])).code).toBe(1)
  })
})
