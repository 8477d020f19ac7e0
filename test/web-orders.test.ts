import { and, eq, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { auditLog } from '../db/schema/audit.ts'
import { members, units } from '../db/schema/network.ts'
import { orders, serviceCatalog } from '../db/schema/orders.ts'
import type { WebServer } from '../web/server.ts'
import { memberActor, untilDone } from './support/broadcasts-district.ts'
import { botSays, codeIn, eventsOf, orderByCode } from './support/orders-helpers.ts'
import { type SampleDistrict, startSampleDistrict } from './support/sample-district.ts'
import { browserPerFile, credentialsOf, signedIn, startConsole } from './support/web-console.ts'

const BUILDING = '科园社区第一网格1栋居民群'
const WORKERS = '科园社区志愿服务工作群'

describe('the order board in Chromium', () => {
  let d: SampleDistrict
  let server: WebServer
  let code = ''
  const browser = browserPerFile()
  beforeAll(async () => {
    d = await startSampleDistrict()
    server = await startConsole(d.services)
    const placed = botSays(d.network, BUILDING, '已收到您的点单')
    const dispatched = botSays(d.network, WORKERS, '【派单】')
    d.network.say('wxid_linxiuying', BUILDING, '点单 楼道灯坏了，电话13912345678')
    code = codeIn((await placed).text)
    await dispatched
  })
  afterAll(async () => {
    await server?.close()
    await d?.stop()
  })

  it("the station's staff sees the order with its SLA clock, masked, and re-dispatches it to a volunteer", async () => {
    const { context, page } = await signedIn(browser(), d.services, 'wxid_zhangwei')
    await page.getByRole('link', { name: '工单' }).click()
    const row = page.locator(`tr[data-code="${code}"]`)
    await expect(row.textContent()).resolves.toContain('孙丽')
    // The board masks the resident's name; the SLA clock runs.
    await expect(row.textContent()).resolves.toContain('林*')
    await expect(row.textContent()).resolves.not.toContain('林秀英')
    await expect(row.textContent()).resolves.toMatch(/剩 \d+/)
    const csv = await (
      await fetch(`${server.url}/orders/export.csv`, {
        headers: { cookie: (await credentialsOf(page)).cookie },
      })
    ).text()
    expect(csv).toContain(code)
    expect(csv).not.toContain('林秀英')

    // The filters: status, category, overdue; the board follows them.
    const order = await orderByCode(d.t.db, code)
    const [category] = await d.t.db
      .select({ code: serviceCatalog.code })
      .from(serviceCatalog)
      .where(eq(serviceCatalog.id, order!.categoryId!))
    const listed = async (query: string) => {
      await page.goto(`${server.url}/orders?${query}`)
      return page
        .locator('tr[data-code]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-code')))
    }
    expect(await listed('status=dispatched')).toEqual([code])
    expect(await listed('status=cancelled')).toEqual([])
    expect(await listed(`category=${category!.code}`)).toEqual([code])
    expect(await listed('category=no-such-category')).toEqual([])
    expect(await listed('overdue=1')).toEqual([])
    expect(await listed('unit=九龙坡区/石桥铺街道/科园社区/第一网格')).toEqual([code])
    await page.goto(`${server.url}/orders`)

    await row.getByRole('link', { name: code }).click()
    // The handling station's staff needs the phone number: shown in full, as 进度 shows it.
    await expect(page.locator('#timeline').textContent()).resolves.toContain('13912345678')
    const told = botSays(d.network, WORKERS, '【派单】')
    await page.locator('select[name=assignee]').selectOption('wxid_lina')
    await page.getByRole('button', { name: '改派' }).click()
    await expect(page.locator('main').textContent()).resolves.toContain('已派给 李娜')
    expect((await told).text).toContain('@李娜')

    const [lina] = await d.t.db.select().from(members).where(eq(members.wechatId, 'wxid_lina'))
    expect((await orderByCode(d.t.db, code))?.assigneeMemberId).toBe(lina!.id)
    expect((await eventsOf(d.t.db, code)).at(-1)).toMatchObject({
      type: 'dispatched',
      actorRef: 'wxid_zhangwei',
      note: '李娜',
    })
    await context.close()
  })

  it('another township cannot see or dispatch it; a propagandist over it sees it masked and may not dispatch', async () => {
    const other = await signedIn(browser(), d.services, 'wxid_zhoujie')
    await other.page.goto(`${server.url}/orders`)
    await expect(other.page.locator('main').textContent()).resolves.not.toContain(code)
    expect((await other.page.goto(`${server.url}/orders/${code}`))?.status()).toBe(404)
    const { cookie, csrf } = await credentialsOf(other.page)
    const post = (body: Record<string, string>) =>
      fetch(`${server.url}/orders/${code}/dispatch`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      })
    expect((await post({ assignee: 'wxid_hujun' })).status).toBe(403)
    expect((await post({ assignee: 'wxid_hujun', _csrf: csrf })).status).toBe(404)
    await other.context.close()

    const township = await signedIn(browser(), d.services, 'wxid_liuyang')
    await township.page.goto(`${server.url}/orders/${code}`)
    const timeline = await township.page.locator('#timeline').textContent()
    expect(timeline).toContain('139****5678')
    expect(timeline).not.toContain('13912345678')
    await township.page.getByRole('button', { name: '改派' }).click()
    await expect(township.page.locator('main .error').textContent()).resolves.toBeTruthy()
    const [lina] = await d.t.db.select().from(members).where(eq(members.wechatId, 'wxid_lina'))
    expect((await orderByCode(d.t.db, code))?.assigneeMemberId).toBe(lina!.id)
    const refused = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'order.dispatch'), eq(auditLog.actorRef, 'wxid_liuyang')))
    expect(refused.map((r) => r.allowed)).toEqual([false])
    await township.context.close()
  })

  it('三率: a station sees its subtree ranked with the figures worked by hand, the chart and the CSV; not another', async () => {
    // Two 点单 in a 渝州路社区 building, the first accepted at once (within its SLA), the second
    // not: for 渝州路社区 and its 第一网格, placed 2, responded 1 (50.0%), completed 0 (0.0%),
    // rated 0 (满意率 —).
    const YUZHOU = '渝州路社区第一网格1栋居民群'
    const first = botSays(d.network, YUZHOU, '已收到您的点单')
    d.network.say('wxid_xuzhiming', YUZHOU, '点单 楼道灯坏了')
    const a = codeIn((await first).text)
    const second = botSays(d.network, YUZHOU, '已收到您的点单')
    d.network.say('wxid_xuzhiming', YUZHOU, '点单 单元门坏了关不上')
    await second
    const order = await orderByCode(d.t.db, a)
    const [assignee] = await d.t.db
      .select()
      .from(members)
      .where(eq(members.id, order!.assigneeMemberId!))
    const accepted = botSays(d.network, YUZHOU, a)
    d.network.say(assignee!.wechatId, YUZHOU, `接单 ${a}`)
    await accepted

    const { context, page } = await signedIn(browser(), d.services, 'wxid_huangmin')
    await page.getByRole('link', { name: '三率' }).click()
    const cells = (unit: string) =>
      page
        .locator(`tr[data-unit="${unit}"] td`)
        .evaluateAll((tds) => tds.map((td) => td.textContent))
    const expected = ['2', '1', '50.0%', '0', '0.0%', '0', '0', '—']
    for (const unit of [
      '九龙坡区/石桥铺街道/渝州路社区',
      '九龙坡区/石桥铺街道/渝州路社区/第一网格',
    ]) {
      expect((await cells(unit)).slice(3)).toEqual(expected)
    }
    await expect(page.locator('.chart svg title').textContent()).resolves.toBeTruthy()
    const { cookie } = await credentialsOf(page)
    const csv = await (
      await fetch(
        `${server.url}/rates/export.csv?unit=${encodeURIComponent('九龙坡区/石桥铺街道/渝州路社区')}`,
        {
          headers: { cookie },
        },
      )
    ).text()
    expect(csv).toContain('九龙坡区/石桥铺街道/渝州路社区/第一网格,网格,2,1,50.0%,0,0.0%,0,0,—')
    // Another station's subtree, by URL: not shown.
    expect(
      (
        await page.goto(
          `${server.url}/rates?unit=${encodeURIComponent('九龙坡区/石桥铺街道/科园社区')}`,
        )
      )?.status(),
    ).toBe(404)
    await context.close()
  })

  it('改类 from the order page: the station re-categorises it (timeline, audit); a made-up category is refused', async () => {
    const { context, page } = await signedIn(browser(), d.services, 'wxid_zhangwei')
    await page.goto(`${server.url}/orders/${code}`)
    await page.locator('select[name=category]').selectOption('environment')
    await page.getByRole('button', { name: '改类' }).click()
    await expect(page.locator('main .ok').textContent()).resolves.toContain('环境卫生整治')
    const [environment] = await d.t.db
      .select({ id: serviceCatalog.id })
      .from(serviceCatalog)
      .where(eq(serviceCatalog.code, 'environment'))
    expect((await orderByCode(d.t.db, code))?.categoryId).toBe(environment!.id)
    expect((await eventsOf(d.t.db, code)).map((e) => e.type)).toContain('recategorized')
    const lines = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'order.recategorize'), eq(auditLog.actorRef, 'wxid_zhangwei')))
    expect(lines.map((l) => l.allowed)).toEqual([true])

    // A made-up category by a hand-edited form: refused, audited, nothing moved.
    const { cookie, csrf } = await credentialsOf(page)
    const res = await fetch(`${server.url}/orders/${code}/recategorize`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ category: 'no-such', _csrf: csrf }),
    })
    expect(res.status).toBe(403)
    expect((await orderByCode(d.t.db, code))?.categoryId).toBe(environment!.id)
    await context.close()
  })

  it('三率 shows a propagandist’s latest notices with their reach per tier', async () => {
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: '石桥铺街道', text: '周六义诊' })
    if (!created.ok) throw new Error(created.message)
    expect((await confirmNotice(d.services, { id: created.notice.id, actor })).outcome).toBe(
      'confirmed',
    )
    await untilDone(d, created.notice.id)
    const { context, page } = await signedIn(browser(), d.services, 'wxid_liuyang')
    await page.goto(`${server.url}/rates`)
    const row = page.locator(`tr[data-notice="N${created.notice.id}"]`)
    await expect(row.textContent()).resolves.toContain('街道 1/1、社区 4/4、网格 4/4、楼栋 8/8')
    // A member with no notice of theirs or under them sees none.
    const station = await signedIn(browser(), d.services, 'wxid_huangmin')
    await station.page.goto(`${server.url}/rates`)
    await expect(station.page.locator('tr[data-notice]').count()).resolves.toBe(0)
    await station.context.close()
    await context.close()
  })

  it('批量派单: the station ticks several orders and dispatches them in one submit, each on its own; one not its own is refused with the reason', async () => {
    const placed: string[] = []
    for (const [who, topic] of [
      ['wxid_gaojianguo', '科园社区第一网格2栋居民群'],
      ['wxid_yangguilan', '科园社区第二网格1栋居民群'],
    ] as const) {
      const reply = botSays(d.network, topic, '已收到您的点单')
      d.network.say(who, topic, '点单 楼道里的垃圾好几天没人清理了')
      placed.push(codeIn((await reply).text))
    }
    const mine = [code, ...placed]
    // An order of 渝州路社区 (the 三率 test placed it): not 张伟's to see.
    const [foreign] = await d.t.db
      .select({ code: orders.code, assignee: orders.assigneeMemberId })
      .from(orders)
      .innerJoin(units, eq(units.id, orders.handlingUnitId))
      .where(like(units.path, '%渝州路社区%'))
      .limit(1)
    expect(foreign).toBeDefined()

    const { context, page } = await signedIn(browser(), d.services, 'wxid_zhangwei')
    await page.getByRole('link', { name: '工单' }).click()
    for (const c of mine) await page.getByLabel(`选择 ${c}`).check()
    // A forged tick for the foreign order, as a hand-edited form would send it.
    await page
      .locator('#bulk')
      .evaluate(
        (form, c) =>
          form.insertAdjacentHTML(
            'beforeend',
            `<input type="checkbox" name="code" value="${c}" checked>`,
          ),
        foreign!.code,
      )
    await page.locator('#bulk-bar select[name=assignee]').selectOption('wxid_wangqiang')
    await page.getByRole('button', { name: '批量派单' }).click()
    const result = page.locator('#bulk-result')
    await expect(result.locator('[data-done]').getAttribute('data-done')).resolves.toBe('3')
    await expect(result.locator('[data-refused]').getAttribute('data-refused')).resolves.toBe('1')
    await expect(
      page.locator(`#refused tr[data-code="${foreign!.code}"]`).textContent(),
    ).resolves.toContain('无权查看')

    const [wangqiang] = await d.t.db
      .select()
      .from(members)
      .where(eq(members.wechatId, 'wxid_wangqiang'))
    for (const c of mine) {
      expect((await orderByCode(d.t.db, c))?.assigneeMemberId).toBe(wangqiang!.id)
      expect((await eventsOf(d.t.db, c)).at(-1)).toMatchObject({
        type: 'dispatched',
        actorRef: 'wxid_zhangwei',
        note: '王强',
      })
    }
    expect((await orderByCode(d.t.db, foreign!.code))?.assigneeMemberId).toBe(foreign!.assignee)

    // 批量改类 with a category that does not exist: every order refused by recategorize itself,
    // each audited on its own; nothing moved.
    await page.goto(`${server.url}/orders`)
    for (const c of placed) await page.getByLabel(`选择 ${c}`).check()
    await page
      .locator('#bulk-bar select[name=category]')
      .evaluate((select) =>
        select.insertAdjacentHTML(
          'beforeend',
          '<option value="no-such" selected>没有的类别</option>',
        ),
      )
    await page.getByRole('button', { name: '批量改类' }).click()
    await expect(page.locator('#bulk-result [data-done]').getAttribute('data-done')).resolves.toBe(
      '0',
    )
    const refusals = await d.t.db
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.action, 'order.recategorize'),
          eq(auditLog.actorRef, 'wxid_zhangwei'),
          eq(auditLog.allowed, false),
        ),
      )
    const refusedCodes = refusals.map((r) => (r.detail as { code: string }).code)
    expect(refusedCodes.filter((c) => placed.includes(c)).sort()).toEqual([...placed].sort())
    await context.close()
  })
})
