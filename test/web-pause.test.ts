import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unsigned } from '../broadcasts/signature.ts'
import { auditLog } from '../db/schema/audit.ts'
import { notices } from '../db/schema/broadcasts.ts'
import type { WebServer } from '../web/server.ts'
import {
  agreement,
  aroundSends,
  districtPerFile,
  FAST_RECONCILE,
  FAST_SEND_RETRIES,
  holdSends,
  until,
  untilDone,
} from './support/broadcasts-district.ts'
import { browserPerFile, signedIn, startConsole } from './support/web-console.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("a notice's sends in the console, in Chromium: 暂停, 继续, the queues", () => {
  const district = districtPerFile({
    workers: { reconcile: FAST_RECONCILE, sendJobOptions: FAST_SEND_RETRIES },
  })
  const browser = browserPerFile()
  let url = ''
  let server: WebServer | undefined
  beforeAll(async () => {
    server = await startConsole(district().services)
    url = server.url
  })
  afterAll(async () => {
    await server?.close()
  })

  it('a notice paused mid-send says nothing more until 继续发送; then every group has it exactly once', async () => {
    const d = district()
    const text = '石桥铺街道本周六上午开展义务理发，请有需要的老人到社区活动室。'
    // The third group's send stays in flight until the pause is in.
    let seen = 0
    const held = holdSends(d, 'bot-shiqiaopu', (_room, t) => unsigned(t) === text && ++seen === 3)
    const { context, page } = await signedIn(browser(), d.services, 'wxid_liuyang')
    await page.goto(`${url}/notices/new`)
    await page.getByLabel('石桥铺街道').check()
    await page.locator('textarea[name=text]').fill(text)
    await page.getByRole('button', { name: '生成预览' }).click()
    await page.waitForURL(/\/notices\/\d+$/)
    const id = Number(new URL(page.url()).pathname.split('/').pop())
    await page.getByRole('button', { name: '确认发布' }).click()
    await until(async () => held.held.length === 1)
    try {
      await page.getByRole('button', { name: '暂停发送' }).click()
      await expect(page.locator('#status').textContent()).resolves.toBe('已暂停')
    } finally {
      held.undo()
    }
    const progress = page.locator('#progress')
    await expect(progress.getAttribute('data-status')).resolves.toBe('paused')
    await expect(progress.locator('#paused').textContent()).resolves.toContain('暂不发送')

    // Nothing more goes out while paused, through many reconciler runs.
    await sleep(1_500)
    const during = await agreement(d, id)
    await sleep(2_000)
    const later = await agreement(d, id)
    const saidDuring = during.rooms.filter((r) => r.copies > 0).length
    expect(later.rooms.filter((r) => r.copies > 0)).toHaveLength(saidDuring)
    expect(saidDuring).toBeLessThan(17)
    expect(later.rooms.every((r) => r.copies <= 1)).toBe(true)
    expect(
      later.rooms
        .filter((r) => r.copies === 0)
        .every((r) => ['pending', 'sending'].includes(r.status)),
    ).toBe(true)

    await page.getByRole('button', { name: '继续发送' }).click()
    await expect(page.locator('main').textContent()).resolves.toContain('已继续发送')
    const sent = page.locator('#progress tr[data-tier="0"] [data-sent]')
    await expect.poll(() => sent.getAttribute('data-sent'), { timeout: 30_000 }).toBe('17')
    await untilDone(d, id, 40_000)
    const after = await agreement(d, id)
    expect(after.rooms).toHaveLength(17)
    expect(after.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
    expect(after.outside).toBe(0)
    const [row] = await d.t.db.select().from(notices).where(eq(notices.id, id))
    expect(row?.status).toBe('done')
    const audits = await d.t.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.actorRef, 'wxid_liuyang'), eq(auditLog.allowed, true)))
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining(['notice.pause', 'notice.resume']),
    )
    await context.close()
  }, 60_000)

  it('暂停 by a forged form: 404 outside the township, 403 and audited for one who may only view', async () => {
    const d = district()
    const text = '石桥铺街道下周一起调整社区食堂开放时间。'
    const held = holdSends(d, 'bot-shiqiaopu', (_room, t) => unsigned(t) === text)
    try {
      const author = await signedIn(browser(), d.services, 'wxid_liuyang')
      await author.page.goto(`${url}/notices/new`)
      await author.page.getByLabel('石桥铺街道').check()
      await author.page.locator('textarea[name=text]').fill(text)
      await author.page.getByRole('button', { name: '生成预览' }).click()
      await author.page.waitForURL(/\/notices\/\d+$/)
      const id = Number(new URL(author.page.url()).pathname.split('/').pop())
      await author.page.getByRole('button', { name: '确认发布' }).click()
      await author.context.close()

      // 杨家坪's propagandist may not see it: the form's POST is the same 404 as an unknown id.
      const other = await signedIn(browser(), d.services, 'wxid_chenjing')
      const csrf = await other.page.locator('input[name=_csrf]').first().inputValue()
      const foreign = await other.page.request.post(`${url}/notices/${id}/pause`, {
        form: { _csrf: csrf },
      })
      expect(foreign.status()).toBe(404)
      // The district's propagandist sees it (回执) but is neither its author nor an admin: 403,
      // refused by pauseNotice itself and audited, as 取消 would be.
      const viewer = await signedIn(browser(), d.services, 'wxid_wangfang')
      await viewer.page.goto(`${url}/notices/${id}`)
      await expect(viewer.page.getByRole('button', { name: '暂停发送' }).count()).resolves.toBe(0)
      const refused = await viewer.page.request.post(`${url}/notices/${id}/pause`, {
        form: { _csrf: await viewer.page.locator('input[name=_csrf]').first().inputValue() },
      })
      expect(refused.status()).toBe(403)
      const [row] = await d.t.db.select().from(notices).where(eq(notices.id, id))
      expect(row?.status).toBe('confirmed')
      const lines = await d.t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'notice.pause'), eq(auditLog.allowed, false)))
      expect(lines.map((l) => l.actorRef)).toEqual(['wxid_wangfang'])
      await viewer.context.close()
      await other.context.close()
    } finally {
      held.undo()
    }
  }, 60_000)

  it('任务队列: an administrator sees every queue, the latest failures masked, and retries them (audited); anyone else gets 403, by URL too', async () => {
    const d = district()
    const text = '石桥铺街道社区卫生服务中心本周四下午暂停门诊。'
    const dead = d.network.room('科园社区第一网格1栋居民群').room.id
    // The puppet's refusal quotes a phone number: the page must not show it.
    const undo = aroundSends(d, 'bot-shiqiaopu', async (roomId, t, say) => {
      if (roomId === dead && unsigned(t) === text) throw new Error('refused by 13912345678')
      return say()
    })
    const author = await signedIn(browser(), d.services, 'wxid_liuyang')
    try {
      await author.page.goto(`${url}/notices/new`)
      await author.page.getByLabel('石桥铺街道').check()
      await author.page.locator('textarea[name=text]').fill(text)
      await author.page.getByRole('button', { name: '生成预览' }).click()
      await author.page.waitForURL(/\/notices\/\d+$/)
      const id = Number(new URL(author.page.url()).pathname.split('/').pop())
      await author.page.getByRole('button', { name: '确认发布' }).click()
      await untilDone(d, id, 40_000)
    } finally {
      undo()
    }
    // Not an administrator: the page and the retry are refused, whatever the URL.
    expect(await author.page.getByRole('link', { name: '任务队列' }).count()).toBe(0)
    expect((await author.page.goto(`${url}/admin/queues`))?.status()).toBe(403)
    await author.page.goto(`${url}/notices`)
    const csrf = await author.page.locator('input[name=_csrf]').first().inputValue()
    const forged = await author.page.request.post(`${url}/admin/queues/retry`, {
      form: { _csrf: csrf, queue: 'send:bot-shiqiaopu' },
    })
    expect(forged.status()).toBe(403)
    await author.context.close()

    const { context, page } = await signedIn(browser(), d.services, 'wxid_zhaolei')
    await page.getByRole('link', { name: '任务队列' }).click()
    const queues = await page
      .locator('#queues tr[data-queue]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-queue')))
    expect(queues).toEqual(
      expect.arrayContaining(['send:bot-shiqiaopu', 'send:bot-yangjiaping', 'fanout', 'sla']),
    )
    const send = page.locator('#queues tr[data-queue="send:bot-shiqiaopu"]')
    await expect(send.locator('[data-state=failed]').textContent()).resolves.toBe('1')
    expect(Number(await send.locator('[data-state=completed]').textContent())).toBeGreaterThan(0)
    const failures = await page.locator('[data-failed="send:bot-shiqiaopu"]').textContent()
    expect(failures).toMatch(/d-\d+/)
    expect(failures).toContain('139****5678')
    expect(await page.locator('main').textContent()).not.toContain('13912345678')
    // No job's data: the notice's text is nowhere on the page.
    expect(await page.locator('main').textContent()).not.toContain(text)

    await send.getByRole('button', { name: /重试/ }).click()
    await expect(page.locator('main .ok').textContent()).resolves.toContain('1 个失败任务重新排队')
    // The retried send finds its delivery given up and says nothing: the queue has no failure left.
    await until(async () => {
      const counts = await d.services.messenger.queueOf('bot-shiqiaopu').getJobCounts('failed')
      return counts.failed === 0
    })
    const [line] = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'queue.retry'), eq(auditLog.actorRef, 'wxid_zhaolei')))
    expect(line).toMatchObject({
      allowed: true,
      detail: { queue: 'send:bot-shiqiaopu', failed: 1 },
    })
    expect(
      d.network.transcript.filter((s) => s.roomId === dead && unsigned(s.text) === text),
    ).toEqual([])
    await context.close()
  }, 60_000)
})
