import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { and, eq } from 'drizzle-orm'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from '../cli/commands/api-key.ts'
import { createLogger } from '../core/logger.ts'
import type { Services } from '../core/services.ts'
import { auditLog } from '../db/schema/audit.ts'
import { members } from '../db/schema/network.ts'
import { apiKeys } from '../db/schema/open311.ts'
import { orders, serviceCatalog } from '../db/schema/orders.ts'
import { slaJobId } from '../orders/sla-time.ts'
import { slaQueueOf } from '../orders/sla-timer.ts'
import { createWebApp } from '../web/app.ts'
import { createApiKey } from '../web/open311/api-keys.ts'
import { open311Routes } from '../web/open311/routes.ts'
import { runCli } from './support/cli.ts'
import { botSays, orderByCode } from './support/orders-helpers.ts'
import { type SampleDistrict, startSampleDistrict } from './support/sample-district.ts'

const WORKERS = '科园社区志愿服务工作群'
const BUILDING = '九龙坡区/石桥铺街道/科园社区/第一网格/1栋'
const YANGJIAPING = '九龙坡区/杨家坪街道'
const PHONE = '13812345678'

type Open311Error = { code: number; description: string }[]

describe('the Open311 GeoReport v2 API on the sample district', () => {
  let d: SampleDistrict
  let app: Hono
  let services: Services
  let districtKey: string
  let townshipKey: string
  const logged: string[] = []

  beforeAll(async () => {
    d = await startSampleDistrict()
    // The app's own logger (masking included), at debug, captured: nothing personal may reach it.
    const log = createLogger(
      { logLevel: 'debug' },
      { write: (line: string) => void logged.push(line) },
    )
    services = { ...d.services, log }
    app = open311Routes(services)
    const district = await createApiKey(d.t.db, '12345热线')
    const township = await createApiKey(d.t.db, '杨家坪平台', YANGJIAPING)
    if (!district.ok || !township.ok) throw new Error('keys not created')
    districtKey = district.key
    townshipKey = township.key
  })
  afterAll(async () => {
    await d?.stop()
  })

  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
  const json = (body: unknown, key = districtKey) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  async function createdId(res: Response): Promise<string> {
    expect(res.status).toBe(201)
    const [created] = (await res.json()) as { service_request_id: string }[]
    return created!.service_request_id
  }
  async function errorOf(res: Response, status: number): Promise<string> {
    expect(res.status).toBe(status)
    const body = (await res.json()) as Open311Error
    expect(body).toHaveLength(1)
    expect(body[0]!.code).toBe(status)
    return body[0]!.description
  }

  it('lists the catalogue as Open311 services, without a key', async () => {
    const res = await app.request('/services.json')
    expect(res.status).toBe(200)
    const services = (await res.json()) as Record<string, unknown>[]
    const count = await d.t.db.$count(serviceCatalog)
    expect(services).toHaveLength(count)
    expect(services.find((s) => s.service_code === 'facility-repair')).toEqual({
      service_code: 'facility-repair',
      service_name: '公共设施维修',
      description: '基层治理；由网格实践点办理，60 分钟内接单',
      metadata: false,
      type: 'realtime',
      keywords: expect.stringContaining('维修,修理,坏了'),
      group: '基层治理',
    })
  })

  it('a POSTed request goes down the chat pipeline: routed, dispatched to the grid worker, SLA armed, audited', async () => {
    const dispatched = botSays(d.network, WORKERS, '【派单】')
    const res = await app.request(
      '/requests.json',
      form({
        api_key: districtKey,
        description: '楼道灯坏了😭 晚上看不见路',
        unit: BUILDING,
        address_string: '科园路12号3栋',
        lat: '29.5123456',
        long: '106.4567891',
        first_name: '秀英',
        last_name: '林',
        phone: PHONE,
        email: 'lin.xy@example.com',
      }),
    )
    expect(res.status).toBe(201)
    const [created] = (await res.json()) as { service_request_id: string; service_notice: string }[]
    const code = created!.service_request_id
    expect(created!.service_notice).toBe('已受理，由科园社区第一网格实践点办理')

    // Told to the community's workers group as a chat order is, with the contact for the worker.
    const told = await dispatched
    expect(told.text).toContain(`${code} 公共设施维修 @孙丽`)
    expect(told.text).toContain(`居民：林秀英 ${PHONE}`)
    expect(told.text).toContain(
      '内容：楼道灯坏了😭 晚上看不见路（地址 科园路12号3栋；邮箱 lin.xy@example.com）',
    )
    const order = await orderByCode(d.t.db, code)
    const [sunli] = await d.t.db.select().from(members).where(eq(members.wechatId, 'wxid_sunli'))
    expect(order).toMatchObject({
      status: 'dispatched',
      assigneeMemberId: sunli!.id,
      groupId: null,
      residentName: `林秀英 ${PHONE}`,
    })
    expect(order!.text).toBe(
      '楼道灯坏了😭 晚上看不见路（地址 科园路12号3栋；邮箱 lin.xy@example.com）',
    )
    const job = await slaQueueOf(d.services).getJob(slaJobId(code, 'accept', 0, order!.dueAt!))
    expect(await job?.getState()).toBe('delayed')
    const audits = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'open311.create'), eq(auditLog.allowed, true)))
    expect(audits.map((a) => [a.actorRef, a.detail])).toEqual([
      ['api:12345热线', { order: code, category: 'facility-repair' }],
    ])

    // Read back by the integration: personal data masked, coordinates coarse.
    const one = await app.request(`/requests/${code}.json?api_key=${districtKey}`)
    expect(one.status).toBe(200)
    const text = await one.text()
    expect(text).not.toContain(PHONE)
    expect(text).not.toContain('lin.xy@')
    expect(text).not.toContain('12号')
    expect(JSON.parse(text)).toEqual([
      expect.objectContaining({
        service_request_id: code,
        status: 'open',
        status_notes: '已派单待接单',
        service_code: 'facility-repair',
        service_name: '公共设施维修',
        description: '楼道灯坏了😭 晚上看不见路（地址 科园路*号*栋；邮箱 l***@example.com）',
        agency_responsible: '科园社区第一网格实践点',
        address: '科园路*号*栋',
        lat: 29.512,
        long: 106.457,
        expected_datetime: order!.dueAt!.toISOString(),
      }),
    ])

    // 接单 in chat: the integration sees the order move.
    const accepted = botSays(d.network, WORKERS, `已接单 ${code}`)
    d.network.say('wxid_sunli', WORKERS, `接单 ${code}`)
    await accepted
    const after = await app.request(`/requests/${code}.json`, {
      headers: { 'x-api-key': districtKey },
    })
    expect(((await after.json()) as { status_notes: string }[])[0]!.status_notes).toBe('办理中')

    // Nothing personal was logged while serving it.
    expect(logged.length).toBeGreaterThan(0)
    const all = logged.join('\n')
    expect(all).not.toContain(PHONE)
    expect(all).not.toContain('科园路12号')
    expect(all).not.toContain(districtKey)
  })

  it('takes a JSON request with a service_code over the classifier; repeats and pace as in chat', async () => {
    const res = await app.request(
      '/requests.json',
      json({
        service_code: 'health-check',
        description: '家里老人想请医生看看',
        unit: BUILDING,
        account_id: 'c-1',
      }),
    )
    expect(res.status).toBe(201)
    const [first] = (await res.json()) as { service_request_id: string; account_id: string }[]
    expect(first!.account_id).toBe('c-1')
    const row = await orderByCode(d.t.db, first!.service_request_id)
    const [health] = await d.t.db
      .select()
      .from(serviceCatalog)
      .where(eq(serviceCatalog.code, 'health-check'))
    expect(row!.categoryId).toBe(health!.id)

    // The same person with the same need: the open request's id again, nothing new placed.
    const again = await app.request(
      '/requests.json',
      json({
        service_code: 'health-check',
        description: '家里老人想请医生看看',
        unit: BUILDING,
        account_id: 'c-1',
      }),
    )
    expect(again.status).toBe(200)
    expect(((await again.json()) as { service_request_id: string }[])[0]!.service_request_id).toBe(
      first!.service_request_id,
    )
    // Two more needs are within the pace (3 per 10 minutes); a fourth is refused.
    for (const need of ['楼下垃圾没人清理', '想学用智能手机']) {
      expect(
        (
          await app.request(
            '/requests.json',
            json({ description: need, unit: BUILDING, account_id: 'c-1' }),
          )
        ).status,
      ).toBe(201)
    }
    const limited = await app.request(
      '/requests.json',
      json({ description: '小区健身器材坏了', unit: BUILDING, account_id: 'c-1' }),
    )
    expect(await errorOf(limited, 429)).toContain('10 分钟内最多提交 3 件')

    // Repeats are judged on the need, not on the address both carry: two repairs at one address
    // are two orders; the first one said again is the first one.
    const at = {
      unit: BUILDING,
      account_id: 'c-2',
      address_string: '科园路12号3栋',
      service_code: 'facility-repair',
    }
    const lamp = await createdId(
      await app.request('/requests.json', json({ ...at, description: '楼道灯坏了' })),
    )
    const lock = await createdId(
      await app.request('/requests.json', json({ ...at, description: '单元门锁坏了' })),
    )
    expect(lock).not.toBe(lamp)
    const lampAgain = await app.request(
      '/requests.json',
      json({ ...at, description: '楼道的灯坏了' }),
    )
    expect(lampAgain.status).toBe(200)
    expect(
      ((await lampAgain.json()) as { service_request_id: string }[])[0]!.service_request_id,
    ).toBe(lamp)
  })

  it('refuses a request without a key, with a bad one, or with a revoked one', async () => {
    expect(await errorOf(await app.request('/requests.json'), 401)).toContain('缺少 api_key')
    expect(await errorOf(await app.request('/requests.json?api_key=qq311_nope'), 401)).toBe(
      'api_key 无效或已吊销',
    )
    const post = await app.request(
      '/requests.json',
      form({ description: '路灯坏了', unit: BUILDING }),
    )
    expect(await errorOf(post, 401)).toContain('缺少 api_key')

    const temp = await createApiKey(d.t.db, '临时')
    if (!temp.ok) throw new Error('no key')
    expect((await app.request(`/requests.json?api_key=${temp.key}`)).status).toBe(200)
    await d.t.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.name, '临时'))
    expect(await errorOf(await app.request(`/requests.json?api_key=${temp.key}`), 401)).toBe(
      'api_key 无效或已吊销',
    )
  })

  it('answers malformed and hostile input with 400 (413 when too large), never 500', async () => {
    const cases: [RequestInit, number, string][] = [
      [json('{"description": "楼道灯坏了"'), 400, '不是合法的 JSON'],
      [json('["description"]'), 400, '不是合法的 JSON'],
      [json({ unit: BUILDING }), 400, '字段 description 有误：必填'],
      [json({ description: 42, unit: BUILDING }), 400, '字段 description 有误：须为字符串'],
      [json({ description: '   ', unit: BUILDING }), 400, '字段 description 有误：不能为空'],
      [json({ description: '灯'.repeat(501), unit: BUILDING }), 400, '最长 500 字'],
      [json({ description: '灯坏了\u0000', unit: BUILDING }), 400, '含有控制字符'],
      [json({ description: '灯坏了', unit: BUILDING, lat: 29.5 }), 400, 'lat 与 long 须同时提供'],
      [
        json({ description: '灯坏了', unit: BUILDING, lat: 'abc', long: '1' }),
        400,
        '字段 lat 有误',
      ],
      [json({ description: '灯坏了', unit: BUILDING, lat: 95, long: 1 }), 400, '-90 到 90'],
      [json({ description: '灯坏了', unit: BUILDING, phone: ['138'] }), 400, '字段 phone 有误'],
      [json({ description: '灯坏了', unit: BUILDING, email: 'not-mail' }), 400, '须为邮箱地址'],
      [
        json({ description: '灯坏了', service_code: "'; drop table orders;--", unit: BUILDING }),
        400,
        '字段 service_code 有误',
      ],
      [json({ description: '灯坏了', unit: "九龙坡区' or 1=1 --" }), 400, '没有单位'],
      [json({ description: '灯坏了' }), 400, '缺少 unit'],
      [
        json({ description: '灯坏了', unit: BUILDING, service_code: 'no-such-service' }),
        404,
        'service_code=no-such-service',
      ],
      [json({ description: '灯'.repeat(20_000), unit: BUILDING }), 413, '超过 16 KB'],
      [
        {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'x-api-key': districtKey },
          body: 'hi',
        },
        400,
        '请求体须为',
      ],
    ]
    for (const [init, status, says] of cases) {
      const res = await app.request('/requests.json', init)
      expect(await errorOf(res, status), JSON.stringify(init.body).slice(0, 80)).toContain(says)
    }
    const upload = new FormData()
    upload.set('api_key', districtKey)
    upload.set('description', '灯坏了')
    upload.set('media', new Blob(['x']), 'a.jpg')
    expect(
      await errorOf(await app.request('/requests.json', { method: 'POST', body: upload }), 400),
    ).toBe('字段 media 不接受文件上传')

    const get = (q: string) => app.request(`/requests.json?api_key=${districtKey}&${q}`)
    expect(await errorOf(await get('status=pending'), 400)).toContain('须为 open 或 closed')
    expect(await errorOf(await get('start_date=yesterday'), 400)).toContain('ISO 8601')
    expect(await errorOf(await get('service_request_id=1%3Bdrop'), 400)).toContain(
      'service_request_id',
    )
    expect(await errorOf(await get('service_code=nope-nope'), 404)).toContain('nope-nope')
    expect(
      await errorOf(await app.request(`/requests/Z9999.json?api_key=${districtKey}`), 404),
    ).toBe('没有诉求 Z9999')
    expect((await app.request(`/requests/..%2F..%2Fetc.json?api_key=${districtKey}`)).status).toBe(
      404,
    )
    expect(await errorOf(await app.request('/discovery.xml'), 404)).toContain('没有这个接口')

    // Text that merely looks like SQL, or is only emoji, is a need like any other: stored as typed.
    const sqlish = "'); delete from orders; -- 楼道灯坏了"
    const stored = await app.request(
      '/requests.json',
      json({ description: sqlish, unit: BUILDING }),
    )
    expect(stored.status).toBe(201)
    const sqlCode = await createdId(stored)
    expect((await orderByCode(d.t.db, sqlCode))!.text.startsWith(sqlish)).toBe(true)
    // A family emoji holds zero-width joiners; a form's CRLF is a line break, not a control character.
    const emoji = await app.request(
      '/requests.json',
      json({ description: '😭😭👨\u200d👩\u200d👧🆘\r\n救命', unit: BUILDING }),
    )
    expect(emoji.status).toBe(201)
    const emojiCode = await createdId(emoji)
    expect((await orderByCode(d.t.db, emojiCode))!.text).toBe('😭😭👨👩👧🆘\n救命')
    const general = await app.request(`/requests/${emojiCode}.json?api_key=${districtKey}`)
    expect(((await general.json()) as { service_code: string }[])[0]!.service_code).toBe('general')
  })

  it('a key scoped to a township sees and creates only there', async () => {
    const outside = await app.request(
      '/requests.json',
      json({ description: '楼道灯坏了', unit: BUILDING }, townshipKey),
    )
    expect(await errorOf(outside, 403)).toBe(`此 api_key 只能访问「${YANGJIAPING}」及其下级单位`)
    const [refusal] = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'open311.create'), eq(auditLog.allowed, false)))
    expect(refusal?.actorRef).toBe('api:杨家坪平台')

    // Without a unit it lands at the key's own unit; a deeper unit of the township is fine too.
    const own = await app.request(
      '/requests.json',
      json({ description: '想听反诈讲座' }, townshipKey),
    )
    expect(own.status).toBe(201)
    const inside = await app.request(
      '/requests.json',
      json(
        { description: '路灯坏了', unit: `${YANGJIAPING}/西郊路社区/第一网格/1栋` },
        townshipKey,
      ),
    )
    expect(inside.status).toBe(201)
    const insideCode = await createdId(inside)

    const listed = await app.request('/requests.json', { headers: { 'x-api-key': townshipKey } })
    const ids = ((await listed.json()) as { service_request_id: string }[]).map(
      (r) => r.service_request_id,
    )
    const placedThere = await d.t.db
      .select({ code: orders.code, unitId: orders.unitId })
      .from(orders)
    expect(ids).toContain(insideCode)
    expect(ids.length).toBe(2)
    expect(placedThere.length).toBeGreaterThan(ids.length)
    // An order of another township is not found, not forbidden: its existence is not told.
    const [keyuanOrder] = await d.t.db.select().from(orders).where(eq(orders.status, 'accepted'))
    expect(
      await errorOf(
        await app.request(`/requests/${keyuanOrder!.code}.json`, {
          headers: { 'x-api-key': townshipKey },
        }),
        404,
      ),
    ).toBe(`没有诉求 ${keyuanOrder!.code}`)

    // The district key lists both townships', newest first, filtered by status and service.
    const all = await app.request(
      `/requests.json?api_key=${districtKey}&status=open&service_code=facility-repair`,
    )
    const rows = (await all.json()) as { service_request_id: string; requested_datetime: string }[]
    expect(rows.map((r) => r.service_request_id)).toContain(insideCode)
    const times = rows.map((r) => r.requested_datetime)
    expect([...times].sort().reverse()).toEqual(times)
  })

  it('serves over a real listening socket, mounted in the web role at /open311/v2', async () => {
    // The console's app, as `quanqun web` serves it: the API sits beside the pages, reached by
    // its key alone (no session, and a browser integration's Origin is no reason to refuse).
    const web = createWebApp(services, {
      pacing: { perMinute: 30, minGapMs: 1500, jitterMs: 1000, roomGapMs: 3000, cooldownMs: 1 },
      secureCookie: false,
    })
    const server = serve({ fetch: web.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    try {
      const { port } = server.address() as AddressInfo
      const base = `http://127.0.0.1:${port}/open311/v2`
      const posted = form({ api_key: districtKey, description: '小区健身器材坏了', unit: BUILDING })
      const res = await fetch(`${base}/requests.json`, {
        ...posted,
        headers: { ...(posted.headers as Record<string, string>), origin: 'https://12345.example' },
      })
      expect(res.status).toBe(201)
      expect(res.headers.get('content-type')).toContain('application/json')
      const [{ service_request_id: code }] = (await res.json()) as [{ service_request_id: string }]
      const back = await fetch(
        `${base}/requests/${code}.json?api_key=${encodeURIComponent(districtKey)}`,
      )
      expect(((await back.json()) as { service_request_id: string }[])[0]!.service_request_id).toBe(
        code,
      )
      // A body far over the limit is refused before it is read whole.
      const huge = await fetch(
        `${base}/requests.json`,
        json({ description: 'x'.repeat(1_000_000), unit: BUILDING }),
      )
      expect(huge.status).toBe(413)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('quanqun api-key create prints the key once, list never shows it, revoke stops it', async () => {
    const env = { DATABASE_URL: d.t.url }
    const created = await runCli(apiKeyCreate, env, ['城市平台'], { unit: YANGJIAPING })
    expect(created.code).toBe(0)
    expect(created.lines[0]).toBe(
      `已为「城市平台」创建 Open311 密钥（只能访问 ${YANGJIAPING} 及其下级）：`,
    )
    const key = created.lines[1]!
    expect(key).toMatch(/^qq311_[A-Za-z0-9_-]{43}$/)
    const [row] = await d.t.db.select().from(apiKeys).where(eq(apiKeys.name, '城市平台'))
    expect(row!.keyHash).not.toContain(key)
    expect(row!.keyHash).toMatch(/^[0-9a-f]{64}$/)
    expect((await app.request('/requests.json', { headers: { 'x-api-key': key } })).status).toBe(
      200,
    )

    expect((await runCli(apiKeyCreate, env, ['城市平台'])).lines).toEqual([
      '已有名为「城市平台」的密钥（吊销后名称也不能再用）',
    ])
    expect((await runCli(apiKeyCreate, env, ['x'], { unit: '九龙坡区/无此街道' })).code).toBe(1)
    expect((await runCli(apiKeyCreate, env, ['bad name!'])).lines).toEqual([
      '名称须为 1 到 64 个字母、数字、汉字或 _ . -',
    ])

    const listed = await runCli(apiKeyList, env)
    expect(listed.lines.join('\n')).not.toContain('qq311_')
    expect(listed.lines.find((l) => l.startsWith('城市平台'))).toMatch(
      new RegExp(`^城市平台  ${YANGJIAPING}  创建于 \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`),
    )

    expect(await runCli(apiKeyRevoke, env, ['城市平台'])).toEqual({
      code: 0,
      lines: ['已吊销「城市平台」的密钥'],
    })
    expect(await runCli(apiKeyRevoke, env, ['城市平台'])).toEqual({
      code: 1,
      lines: ['没有名为「城市平台」的有效密钥'],
    })
    expect((await app.request('/requests.json', { headers: { 'x-api-key': key } })).status).toBe(
      401,
    )
    expect((await runCli(apiKeyList, env)).lines.find((l) => l.startsWith('城市平台'))).toContain(
      '已吊销',
    )
    const audited = await d.t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'api-key.revoke'))
    expect(audited).toHaveLength(1)
    expect(audited[0]!.actorRef).toMatch(/^cli:/)
  })
})
