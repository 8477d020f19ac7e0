import { createHash } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { and, asc, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unsigned } from '../broadcasts/signature.ts'
import { loginLink } from '../cli/commands/login-link.ts'
import { attachmentPath } from '../core/content-store.ts'
import { noticeAttachments } from '../db/schema/attachments.ts'
import { auditLog } from '../db/schema/audit.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import { loginTokens, webSessions } from '../db/schema/console.ts'
import { members } from '../db/schema/network.ts'
import type { WebServer } from '../web/server.ts'
import {
  agreement,
  aroundSends,
  districtPerFile,
  FAST_RECONCILE,
  FAST_SEND_RETRIES,
  failSends,
  holdSends,
  replyTo,
  until,
  untilDone,
} from './support/broadcasts-district.ts'
import { runCli } from './support/cli.ts'
import {
  browserPerFile,
  credentialsOf,
  loginLinkFor,
  signedIn,
  startConsole,
} from './support/web-console.ts'

const DISTRICT_STAFF = '九龙坡区文明实践中心工作群'
const TEXT = '本周六上午9点在科园社区广场举办志愿服务集市，欢迎参加。'

/** A 1×1 PNG: a notice's poster. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
/** Where the console's uploads are kept; small, so a refusal is cheap to provoke. */
const DATA_DIR = mkdtempSync(join(tmpdir(), 'quanqun-console-'))
const ATTACHMENT_MAX_BYTES = 64 * 1024

describe('the staff console in Chromium, on the sample district', () => {
  const district = districtPerFile({
    workers: { reconcile: FAST_RECONCILE, sendJobOptions: FAST_SEND_RETRIES },
    dataDir: DATA_DIR,
    notices: { attachmentMaxBytes: ATTACHMENT_MAX_BYTES },
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
    await rm(DATA_DIR, { recursive: true, force: true })
  })
  /** The district-wide notice 王芳 sends in the second test; the township test probes it. */
  let districtNotice = 0

  it('登录 in a staff group sends a one-time link privately; it opens a session once, never twice, never late', async () => {
    const d = district()
    // What the bot says to 王芳 in private (her contact id as the "room").
    const privately: string[] = []
    aroundSends(d, 'bot-yangjiaping', async (roomId, text, say) => {
      if (roomId === 'wxid_wangfang') privately.push(text)
      return say()
    })
    const reply = replyTo(d, DISTRICT_STAFF, '登录链接已私信')
    d.network.say('wxid_wangfang', DISTRICT_STAFF, '登录')
    expect((await reply).text).not.toContain('http')
    await until(async () => privately.length > 0)
    const link = /http:\/\/\S+/.exec(privately[0]!)?.[0]
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?t=/)
    const token = new URL(link!).searchParams.get('t')!
    // Only the token's hash is stored.
    const stored = await d.t.db.select({ hash: loginTokens.tokenHash }).from(loginTokens)
    expect(stored.some((r) => r.hash.includes(token))).toBe(false)

    // In a private chat the link is the answer itself.
    const before = privately.length
    const bot = d.network.account('bot-yangjiaping')
    d.network.contact(bot, 'wxid_wangfang').say('登录').to(bot.self)
    await until(async () => privately.length > before)
    const direct = /http:\/\/\S+/.exec(privately.at(-1)!)?.[0]
    expect(direct).toMatch(/\/login\?t=/)
    expect(direct).not.toBe(link)

    const first = await browser().newContext()
    const page = await first.newPage()
    // Opening the link (a GET, as a link preview does) uses nothing; the button does.
    await page.goto(link!)
    await page.goto(link!)
    await page.getByRole('button', { name: '进入控制台' }).click()
    await page.waitForURL('**/notices')
    await expect(page.locator('header .who').textContent()).resolves.toContain('王芳')
    const cookie = (await first.cookies()).find((c) => c.name === 'qq_session')!
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' })

    // The same link a second time, in another browser: refused.
    const second = await browser().newContext()
    const again = await second.newPage()
    await again.goto(link!)
    const [used] = await Promise.all([
      again.waitForResponse((r) => r.request().method() === 'POST'),
      again.getByRole('button', { name: '进入控制台' }).click(),
    ])
    expect(used.status()).toBe(403)
    await expect(again.locator('main').textContent()).resolves.toContain('已使用过或已过期')
    await again.goto(`${url}/notices`)
    expect(new URL(again.url()).pathname).toBe('/login')

    // A link issued eleven minutes ago: expired.
    const stale = await loginLinkFor(
      d.services,
      'wxid_wangfang',
      new Date(Date.now() - 11 * 60_000),
    )
    await again.goto(stale)
    await again.getByRole('button', { name: '进入控制台' }).click()
    await expect(again.locator('main').textContent()).resolves.toContain('已使用过或已过期')
    const refusals = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'web.login'), eq(auditLog.allowed, false)))
    expect(refusals).toHaveLength(2)

    // Logging out revokes the session: the old cookie opens nothing any more.
    await page.getByRole('button', { name: '退出' }).click()
    await page.waitForURL('**/login')
    const res = await fetch(`${url}/notices`, {
      headers: { cookie: `qq_session=${cookie.value}` },
      redirect: 'manual',
    })
    expect(res.status).toBe(302)
    await first.close()
    await second.close()

    // A session past its 12 hours opens nothing either.
    const later = await signedIn(browser(), d.services, 'wxid_wangfang')
    await d.t.db.update(webSessions).set({ expiresAt: new Date(Date.now() - 1000) })
    await later.page.goto(`${url}/notices`)
    expect(new URL(later.page.url()).pathname).toBe('/login')
    await later.context.close()
  })

  it('compose → per-tier counts as the scope is picked → preview → confirm → progress reaches every group', async () => {
    const d = district()
    const { context, page } = await signedIn(browser(), d.services, 'wxid_wangfang')
    await page.getByRole('link', { name: '新建通知' }).click()
    const total = page.locator('#audience [data-total]')
    await page.getByLabel('九龙坡区').check()
    await expect.poll(() => total.getAttribute('data-total')).toBe('27')
    // Only grids: the counts follow the form.
    await page.getByLabel('网格', { exact: true }).check()
    await expect.poll(() => total.getAttribute('data-total')).toBe('6')
    await page.getByLabel('网格', { exact: true }).uncheck()
    await expect.poll(() => total.getAttribute('data-total')).toBe('27')
    // Search by name narrows the tree.
    await page.getByPlaceholder(/按名称查找/).fill('西郊路')
    await expect
      .poll(() => page.locator('#tree label').allTextContents())
      .toEqual([expect.stringContaining('西郊路社区')])
    // 西郊路社区: its two community groups, two grids, four buildings.
    await page.getByLabel('西郊路社区').check()
    await expect.poll(() => total.getAttribute('data-total')).toBe('8')
    await page.getByPlaceholder(/按名称查找/).fill('九龙坡')
    await page.getByLabel('九龙坡区').check()
    await expect.poll(() => total.getAttribute('data-total')).toBe('27')

    await page.locator('textarea[name=text]').fill(TEXT)
    await page.getByRole('button', { name: '生成预览' }).click()
    await page.waitForURL(/\/notices\/\d+$/)
    districtNotice = Number(new URL(page.url()).pathname.split('/').pop())
    const preview = page.locator('#preview')
    await expect(preview.locator('[data-total]').getAttribute('data-total')).resolves.toBe('27')
    const accounts = await d.t.db
      .select({ n: sql<number>`count(distinct ${deliveries.botAccountId})::int` })
      .from(deliveries)
      .where(eq(deliveries.noticeId, districtNotice))
    await expect(preview.locator('[data-accounts]').getAttribute('data-accounts')).resolves.toBe(
      String(accounts[0]!.n),
    )
    await expect(preview.textContent()).resolves.toContain('预计用时')
    // Nothing goes out before 确认.
    expect((await agreement(d, districtNotice)).rooms.every((r) => r.copies === 0)).toBe(true)

    // The district's own groups wait until the page follows the progress stream (SSE).
    const held = holdSends(d, 'bot-yangjiaping', (_room, text) => text === TEXT)
    const stream = page.waitForRequest((r) => r.url().endsWith(`/notices/${districtNotice}/events`))
    await page.getByRole('button', { name: '确认发布' }).click()
    await stream
    await expect(page.locator('#progress').getAttribute('data-live')).resolves.toBe('yes')
    const sent = page.locator('#progress tr[data-tier="0"] [data-sent]')
    expect(Number(await sent.getAttribute('data-sent'))).toBeLessThan(27)
    held.undo()
    await expect.poll(() => sent.getAttribute('data-sent'), { timeout: 20_000 }).toBe('27')
    // The last event says it is over, and the page stops following.
    await expect.poll(() => page.locator('#progress').getAttribute('data-live')).toBe('no')
    const result = await agreement(d, districtNotice)
    expect(result.rooms).toHaveLength(27)
    expect(result.rooms.every((r) => r.status === 'sent' && r.copies === 1)).toBe(true)
    expect(result.outside).toBe(0)
    const [confirmed] = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'notice.confirm'), eq(auditLog.actorRef, 'wxid_wangfang')))
    expect(confirmed?.allowed).toBe(true)
    await context.close()
  })

  it('a township propagandist sees and sends only inside the township, whatever the URL or form says', async () => {
    const d = district()
    const { context, page } = await signedIn(browser(), d.services, 'wxid_liuyang')
    // The district's notice is not listed, and its URL is a 404.
    await expect(page.locator('main').textContent()).resolves.not.toContain(`N${districtNotice}`)
    const foreign = await page.goto(`${url}/notices/${districtNotice}`)
    expect(foreign?.status()).toBe(404)

    await page.goto(`${url}/notices/new`)
    const scopes = await page
      .locator('input[name=scope]')
      .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value))
    expect(scopes.length).toBeGreaterThan(0)
    expect(scopes.every((s) => s.startsWith('九龙坡区/石桥铺街道'))).toBe(true)

    // An edited form field: the township's radio button re-pointed at the whole district.
    await page
      .locator('input[name=scope]')
      .first()
      .evaluate((e) => {
        const input = e as unknown as { value: string; checked: boolean }
        input.value = '九龙坡区'
        input.checked = true
      })
    await page.locator('textarea[name=text]').fill('越权的通知')
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: '生成预览' }).click(),
    ])
    expect(refused.status()).toBe(403)
    await expect(page.locator('main').textContent()).resolves.toContain(
      '没有向「九龙坡区」发布通知的权限',
    )
    const [liuyang] = await d.t.db
      .select({ id: members.id })
      .from(members)
      .where(eq(members.wechatId, 'wxid_liuyang'))
    expect(
      await d.t.db.select().from(notices).where(eq(notices.authorMemberId, liuyang!.id)),
    ).toHaveLength(0)
    const audit = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorRef, 'wxid_liuyang'), eq(auditLog.action, 'notice.create')))
    expect(audit.map((a) => a.allowed)).toEqual([false])
    // The count endpoint with the same forged scope counts nothing.
    const counted = await page.goto(`${url}/notices/audience?scope=九龙坡区`)
    expect(await counted?.text()).toContain('无权')

    // Plain HTTP with the township's session: no CSRF token → 403; the district's notice → 404.
    await page.goto(`${url}/notices`)
    const { cookie, csrf } = await credentialsOf(page)
    const post = (path: string, body: Record<string, string>) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
        redirect: 'manual',
      })
    const noCsrf = await post('/notices', { scope: '九龙坡区/石桥铺街道', text: '无令牌' })
    expect(noCsrf.status).toBe(403)
    const wrongCsrf = await post('/notices', {
      scope: '九龙坡区/石桥铺街道',
      text: '错令牌',
      _csrf: 'x'.repeat(csrf.length),
    })
    expect(wrongCsrf.status).toBe(403)
    // Another site's form, even with the token: refused by its origin.
    const crossSite = await fetch(`${url}/notices`, {
      method: 'POST',
      headers: {
        cookie,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ scope: '九龙坡区/石桥铺街道', text: '跨站', _csrf: csrf }),
    })
    expect(crossSite.status).toBe(403)
    for (const verb of ['confirm', 'cancel', 'resend']) {
      expect((await post(`/notices/${districtNotice}/${verb}`, { _csrf: csrf })).status).toBe(404)
    }
    expect((await fetch(`${url}/orders?unit=九龙坡区`, { headers: { cookie } })).status).toBe(404)
    // With the token, inside the township, the same request drafts a notice.
    const own = await post('/notices', {
      scope: '九龙坡区/石桥铺街道',
      text: '街道通知',
      _csrf: csrf,
    })
    expect(own.status).toBe(303)
    // Scheduled: a wall-clock time in the district's zone; an impossible date is refused.
    const scheduled = await post('/notices', {
      scope: '九龙坡区/石桥铺街道',
      text: '定时通知',
      at: '2099-06-01T09:00',
      _csrf: csrf,
    })
    expect(scheduled.status).toBe(303)
    const [row] = await d.t.db
      .select()
      .from(notices)
      .where(eq(notices.id, Number(scheduled.headers.get('location')!.split('/').pop())))
    expect(row?.scheduledAt?.toISOString()).toBe('2099-06-01T01:00:00.000Z')
    const badDate = await post('/notices', {
      scope: '九龙坡区/石桥铺街道',
      text: '定时通知',
      at: '2099-02-30T09:00',
      _csrf: csrf,
    })
    expect(badDate.status).toBe(400)
    await context.close()
  })

  it('a group WeChat refuses is listed as failed with its reason, and 重发失败的群 reaches it', async () => {
    const d = district()
    const text = '社区老年食堂本周起增设晚餐，欢迎老人前往就餐。'
    const dead = d.network.room('科园社区第一网格1栋居民群').room.id
    const undo = failSends(
      d,
      'bot-shiqiaopu',
      (roomId, t) => roomId === dead && unsigned(t) === text,
    )
    const { context, page } = await signedIn(browser(), d.services, 'wxid_liuyang')
    await page.goto(`${url}/notices/new`)
    await page.getByLabel('石桥铺街道').check()
    await page.locator('textarea[name=text]').fill(text)
    await page.getByRole('button', { name: '生成预览' }).click()
    await page.waitForURL(/\/notices\/\d+$/)
    const id = Number(new URL(page.url()).pathname.split('/').pop())
    await page.getByRole('button', { name: '确认发布' }).click()
    await untilDone(d, id)
    undo()
    await page.reload()
    const missed = page.locator('main table.wide tr')
    await expect(missed.allTextContents()).resolves.toEqual([
      expect.stringMatching(/^科园社区第一网格1栋居民群楼栋失败(发送被拒绝|原因不明|群不可用)/),
    ])
    await page.getByRole('button', { name: '重发失败的群' }).click()
    await expect(page.locator('main').textContent()).resolves.toContain('重发')
    await untilDone(d, id)
    const rooms = (await agreement(d, id)).rooms
    expect(rooms.every((r) => r.status === 'sent' && r.copies === 1)).toBe(true)
    await context.close()
  })

  it('停止发送 stops a notice going out: what was said stays said, the rest is skipped', async () => {
    const d = district()
    const text = '今晚社区广场电影取消，改期另行通知。'
    const held = holdSends(d, 'bot-shiqiaopu', (_room, t) => unsigned(t) === text)
    const { context, page } = await signedIn(browser(), d.services, 'wxid_liuyang')
    await page.goto(`${url}/notices/new`)
    await page.getByLabel('石桥铺街道').check()
    await page.locator('textarea[name=text]').fill(text)
    await page.getByRole('button', { name: '生成预览' }).click()
    await page.waitForURL(/\/notices\/\d+$/)
    const id = Number(new URL(page.url()).pathname.split('/').pop())
    await page.getByRole('button', { name: '确认发布' }).click()
    await page.getByRole('button', { name: '停止发送' }).click()
    await expect(page.locator('main').textContent()).resolves.toContain('已撤销')
    held.undo()
    const [row] = await d.t.db.select().from(notices).where(eq(notices.id, id))
    expect(row?.status).toBe('cancelled')
    await until(async () =>
      (await agreement(d, id)).rooms.every((r) => r.status === 'sent' || r.status === 'skipped'),
    )
    const rooms = (await agreement(d, id)).rooms
    // The groups not yet reached are skipped and get nothing; none gets the notice twice.
    expect(rooms.filter((r) => r.status === 'skipped' && r.copies === 0).length).toBeGreaterThan(0)
    expect(rooms.every((r) => r.copies <= 1)).toBe(true)
    await context.close()
  })

  it('a picture and an article chosen in the form go after the text to each group, once; too large is refused with nothing kept', async () => {
    const d = district()
    const text = '石桥铺街道本周日举办消夏晚会，海报和报名方式见下。'
    const { context, page } = await signedIn(browser(), d.services, 'wxid_liuyang')
    await page.goto(`${url}/notices/new`)
    await page.getByLabel('石桥铺街道').check()
    await page.locator('textarea[name=text]').fill(text)
    // Over the cap (64 KB here): refused in words, nothing drafted.
    const before = await d.t.db.select({ id: notices.id }).from(notices)
    await page.locator('input[name=image]').setInputFiles({
      name: 'big.png',
      mimeType: 'image/png',
      buffer: Buffer.alloc(ATTACHMENT_MAX_BYTES + 1, 1),
    })
    await page.getByRole('button', { name: '生成预览' }).click()
    await expect(page.locator('.error').textContent()).resolves.toContain('附件太大')
    expect(await d.t.db.select({ id: notices.id }).from(notices)).toHaveLength(before.length)

    // The scope and text stay as they were; the files are chosen again.
    await expect(page.locator('textarea[name=text]').inputValue()).resolves.toBe(text)
    await page.locator('input[name=image]').setInputFiles({
      name: '晚会海报.png',
      mimeType: 'image/png',
      buffer: PNG,
    })
    await page.locator('input[name=link]').fill('https://mp.weixin.qq.com/s/summer-gala')
    await page.locator('input[name=linkTitle]').fill('消夏晚会报名')
    await page.getByRole('button', { name: '生成预览' }).click()
    await page.waitForURL(/\/notices\/\d+$/)
    const id = Number(new URL(page.url()).pathname.split('/').pop())
    await expect(page.locator('#attachments').textContent()).resolves.toContain(
      '[图片] 晚会海报.png、[链接] 消夏晚会报名',
    )
    const kept = await d.t.db
      .select()
      .from(noticeAttachments)
      .where(eq(noticeAttachments.noticeId, id))
      .orderBy(asc(noticeAttachments.position))
    expect(kept.map((a) => [a.kind, a.name])).toEqual([
      ['image', '晚会海报.png'],
      ['link', '消夏晚会报名'],
    ])
    // The upload is kept as sent, under its hash.
    const sha256 = createHash('sha256').update(PNG).digest('hex')
    expect(kept[0]!.sha256).toBe(sha256)
    expect(await readFile(attachmentPath(DATA_DIR, sha256))).toEqual(PNG)

    await page.getByRole('button', { name: '确认发布' }).click()
    await untilDone(d, id)
    const rows = await d.t.db
      .select({ status: deliveries.status, parts: deliveries.parts, said: deliveries.partsSaid })
      .from(deliveries)
      .where(eq(deliveries.noticeId, id))
    expect(rows).toHaveLength(17)
    expect(rows.every((r) => r.status === 'sent' && r.parts === 3 && r.said === 3)).toBe(true)
    expect((await agreement(d, id)).rooms.every((r) => r.copies === 1)).toBe(true)

    // A forged form with a picture for the whole district, outside her township: refused, and the
    // picture is not kept.
    const foreign = Buffer.concat([PNG, Buffer.from('forged')])
    const forged = await page.request.post(`${url}/notices`, {
      multipart: {
        _csrf: await page.locator('input[name=_csrf]').first().inputValue(),
        scope: '九龙坡区',
        text: '全区通知（伪造）',
        image: { name: 'x.png', mimeType: 'image/png', buffer: foreign },
      },
    })
    expect(forged.status()).toBe(403)
    const foreignPath = attachmentPath(DATA_DIR, createHash('sha256').update(foreign).digest('hex'))
    await expect(readFile(foreignPath)).rejects.toThrow(/ENOENT/)

    // A body past the limit is turned away before anything reads it (the CSRF check included).
    const huge = await page.request.post(`${url}/notices`, {
      multipart: { image: { name: 'x.png', mimeType: 'image/png', buffer: Buffer.alloc(2 << 20) } },
    })
    expect(huge.status()).toBe(413)
    await context.close()
  })

  it('撤回 from the notice page: the notice stops and each group it reached is reported per tier', async () => {
    const d = district()
    const text = '今晚社区广场舞比赛改期（将撤回）。'
    const { context, page } = await signedIn(browser(), d.services, 'wxid_liuyang')
    await page.goto(`${url}/notices/new`)
    await page.getByLabel('石桥铺街道').check()
    await page.locator('textarea[name=text]').fill(text)
    await page.getByRole('button', { name: '生成预览' }).click()
    await page.waitForURL(/\/notices\/\d+$/)
    const id = Number(new URL(page.url()).pathname.split('/').pop())
    await page.getByRole('button', { name: '确认发布' }).click()
    await untilDone(d, id)
    await page.reload()
    await page.getByRole('button', { name: '撤回' }).click()
    // The mock puppet returns no message ids: nothing can be taken back, and the page says so.
    const main = await page.locator('main').textContent()
    expect(main).toContain(`撤回 N${id} 结果（按群计）`)
    expect(main).toContain('楼栋：撤回失败 8')
    const [row] = await d.t.db.select().from(notices).where(eq(notices.id, id))
    expect(row?.status).toBe('done')
    await context.close()
  })

  it("an admin searches the audit log and sees the bot accounts' state and queues; a propagandist may not", async () => {
    const d = district()
    const { context, page } = await signedIn(browser(), d.services, 'wxid_zhaolei')
    await page.getByRole('link', { name: '审计日志' }).click()
    await page.locator('input[name=actor]').fill('wxid_liuyang')
    await page.locator('select[name=allowed]').selectOption('no')
    await page.getByRole('button', { name: '查找' }).click()
    const refused = await page.locator('#audit tr').allTextContents()
    expect(refused.length).toBeGreaterThan(0)
    expect(refused.every((l) => l.includes('wxid_liuyang') && l.includes('拒绝'))).toBe(true)
    expect(refused.some((l) => l.includes('notice.create'))).toBe(true)
    await page.goto(`${url}/admin/audit?action=web.login`)
    const logins = await page.locator('#audit tr').allTextContents()
    expect(logins.some((l) => l.includes('web.login') && l.includes('王芳'))).toBe(true)
    expect(logins.every((l) => l.includes('web.login'))).toBe(true)

    await page.getByRole('link', { name: '机器人账号' }).click()
    for (const name of ['bot-yangjiaping', 'bot-shiqiaopu']) {
      await expect(page.locator(`tr[data-account="${name}"]`).textContent()).resolves.toContain(
        '在线',
      )
    }
    await context.close()

    const propagandist = await signedIn(browser(), d.services, 'wxid_wangfang')
    await expect(propagandist.page.getByRole('link', { name: '审计日志' }).count()).resolves.toBe(0)
    expect((await propagandist.page.goto(`${url}/admin/audit`))?.status()).toBe(403)
    await propagandist.context.close()
  })

  it('双人审核: a township notice waits for a second person after its author confirms; the approval sends it', async () => {
    const d = district()
    d.services.noticeApprovalTiers = [1, 2]
    try {
      const author = await signedIn(browser(), d.services, 'wxid_liuyang')
      await author.page.goto(`${url}/notices/new`)
      await author.page.getByLabel('石桥铺街道').check()
      await author.page
        .locator('textarea[name=text]')
        .fill('街道文明实践所本周五开放日，欢迎参观。')
      await author.page.getByRole('button', { name: '生成预览' }).click()
      await author.page.waitForURL(/\/notices\/\d+$/)
      const path = new URL(author.page.url()).pathname
      const id = Number(path.split('/').pop())
      await author.page.getByRole('button', { name: '确认并提交审核' }).click()
      await expect(author.page.locator('main').textContent()).resolves.toContain('需要双人审核')
      // The author alone sends nothing, and cannot approve their own notice.
      await expect(
        author.page.getByRole('button', { name: '审核通过并发布' }).count(),
      ).resolves.toBe(0)
      const [draft] = await d.t.db.select().from(notices).where(eq(notices.id, id))
      expect(draft).toMatchObject({ status: 'draft', approvedByMemberId: null })
      expect(draft?.approvalRequestedAt).not.toBeNull()
      await author.context.close()

      const approver = await signedIn(browser(), d.services, 'wxid_zhaolei')
      await approver.page.goto(`${url}${path}`)
      await expect(approver.page.locator('#approval').textContent()).resolves.toContain('等待')
      await approver.page.getByRole('button', { name: '审核通过并发布' }).click()
      await untilDone(d, id)
      const rooms = (await agreement(d, id)).rooms
      expect(rooms.length).toBeGreaterThan(0)
      expect(rooms.every((r) => r.status === 'sent' && r.copies === 1)).toBe(true)
      const [zhaolei] = await d.t.db
        .select({ id: members.id })
        .from(members)
        .where(eq(members.wechatId, 'wxid_zhaolei'))
      const [sent] = await d.t.db.select().from(notices).where(eq(notices.id, id))
      expect(sent?.approvedByMemberId).toBe(zhaolei!.id)
      await approver.context.close()
    } finally {
      d.services.noticeApprovalTiers = undefined
    }
  })

  it('quanqun login-link prints a link that opens a session; a resident or unknown id gets none', async () => {
    const d = district()
    const env = { DATABASE_URL: d.t.url, WEB_URL: url }
    const printed = await runCli(loginLink, env, ['wxid_liuyang'])
    expect(printed.code).toBe(0)
    const link = printed.lines.find((l) => l.startsWith(`${url}/login?t=`))!
    // A GET, as a link preview makes, shows the button and uses nothing.
    const opened = await fetch(link)
    expect(opened.status).toBe(200)
    const t = new URL(link).searchParams.get('t')!
    const post = () =>
      fetch(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ t }),
        redirect: 'manual',
      })
    const first = await post()
    expect(first.status).toBe(303)
    expect(first.headers.get('set-cookie')).toMatch(/qq_session=.+HttpOnly.*SameSite=Lax/i)
    expect((await post()).status).toBe(403)
    for (const who of ['wxid_linxiuying', 'wxid_sunli', 'wxid_nobody']) {
      expect((await runCli(loginLink, env, [who])).code).toBe(1)
    }
  })
})
