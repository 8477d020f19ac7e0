import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { statusCli } from '../cli/commands/status.ts'
import { botAccounts } from '../db/schema/network.ts'
import { runCli } from './support/cli.ts'
import { redisUrl } from './support/redis.ts'
import { type SampleDistrict, startSampleDistrict, until } from './support/sample-district.ts'

describe('quanqun status', () => {
  let d: SampleDistrict
  beforeAll(async () => {
    d = await startSampleDistrict({
      pacing: { perMinute: 1, minGapMs: 0, jitterMs: 0, roomGapMs: 0, cooldownMs: 1_000 },
    })
  })
  afterAll(async () => {
    await d?.stop()
  })

  const status = async () => {
    const env = { DATABASE_URL: d.t.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: d.prefix }
    return (await runCli(statusCli, env)).lines.join('\n')
  }

  it('shows each account with its queue, and a notice in flight', async () => {
    expect(await status()).toMatch(/bot-shiqiaopu {2}在线/)
    const actor = { kind: 'operator', ref: 'cli:test' } as const
    const created = await createNotice(d.services, {
      actor,
      scope: '石桥铺街道',
      text: '周五下午消防演练',
    })
    if (!created.ok) throw new Error(created.message)
    await confirmNotice(d.services, { id: created.notice.id, actor })
    // One send a minute: the notice to 17 groups stays in flight while we look.
    await until(async () => (await status()).includes(`N${created.notice.id} 送达 1/17`))
    expect(await status()).toMatch(/发布中的通知：1/)
    expect(await status()).toMatch(/bot-shiqiaopu {2}在线 {2}待发 \d+/)
  })
  it('shows why an account is not running, with what to do', async () => {
    await d.t.db
      .update(botAccounts)
      .set({ state: 'offline', lastError: 'token' })
      .where(eq(botAccounts.name, 'bot-yangjiaping'))
    expect(await status()).toMatch(
      /bot-yangjiaping {2}离线（token 缺失或无效：检查 WECHATY_PUPPET_SERVICE_TOKEN（向服务商核对））/,
    )
  })
})
