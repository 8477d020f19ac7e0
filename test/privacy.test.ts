import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordAudit } from '../audit/record-audit.ts'
import { privacyExport, privacyPurge } from '../cli/commands/privacy.ts'
import { attachmentPath, storeFile } from '../core/content-store.ts'
import { orderAttachments } from '../db/schema/attachments.ts'
import { auditLog } from '../db/schema/audit.ts'
import { orderEvents, orderQuestions, orders } from '../db/schema/orders.ts'
import { placeOrder } from '../orders/intake.ts'
import { runCli } from './support/cli.ts'
import { type OrdersDistrict, startOrdersDistrict } from './support/orders-district.ts'

const DAY = 24 * 3600_000

describe('residents’ personal data: kept only as long as configured, exported on request', () => {
  let o: OrdersDistrict
  beforeAll(async () => {
    o = await startOrdersDistrict()
  })
  afterAll(async () => {
    await o?.stop()
  })

  async function order(text: string, ref: string) {
    const group = await o.group('科园社区第一网格1栋居民群')
    const placed = await placeOrder(o.services, {
      residentRef: ref,
      residentName: '王阿姨',
      groupId: group.id,
      unitId: group.unitId,
      text,
      verb: '点单',
    })
    if (placed.kind !== 'placed') throw new Error(`not placed: ${placed.kind}`)
    return placed.order
  }
  const age = async (id: number, days: number, status: 'rated' | 'cancelled' | 'accepted') => {
    const at = new Date(Date.now() - days * DAY)
    await o.t.db.update(orders).set({ status, updatedAt: at }).where(eq(orders.id, id))
  }

  it('anonymises closed orders and audit lines past the retention, and nothing else', async () => {
    const old = await order('楼道灯坏了 电话13812345678 3栋2单元501室', 'wxid_old')
    const recent = await order('想量血压 电话13912345678', 'wxid_recent')
    const open = await order('水管漏水 电话13712345678', 'wxid_open')
    await age(old.id, 200, 'rated')
    await age(recent.id, 10, 'rated')
    await age(open.id, 200, 'accepted')
    await recordAudit(o.t.db, {
      actorRef: 'wxid_old',
      action: 'command.notice',
      allowed: false,
      detail: { required: 'propagandist', text: '通知 我家电话13812345678' },
    })
    await o.t.db
      .update(auditLog)
      .set({ at: new Date(Date.now() - 200 * DAY) })
      .where(eq(auditLog.actorRef, 'wxid_old'))

    // A photo only the old order has, and one a recent order shares.
    const dataDir = await mkdtemp(join(tmpdir(), 'qq-purge-'))
    const own = await storeFile(dataDir, Buffer.from('old order photo'))
    const shared = await storeFile(dataDir, Buffer.from('photo sent twice'))
    const attach = (orderId: number, sha256: string) =>
      o.t.db
        .insert(orderAttachments)
        .values({ orderId, sha256, name: 'a.jpg', bytes: 15, senderRef: 'x' })
    await attach(old.id, own)
    await attach(old.id, shared)
    await attach(recent.id, shared)

    const run = await runCli(privacyPurge, { DATABASE_URL: o.t.url, DATA_DIR: dataDir }, [], {
      days: '180',
    })
    expect(run.code).toBe(0)
    expect(run.lines[0]).toMatch(/工单 1 张、审计记录 1 条，删除附件 1 个/)
    await expect(access(attachmentPath(dataDir, own))).rejects.toThrow()
    await access(attachmentPath(dataDir, shared))
    const left = await o.t.db.select().from(orderAttachments)
    expect(left.map((a) => a.orderId)).toEqual([recent.id])
    await rm(dataDir, { recursive: true, force: true })

    const [oldRow] = await o.t.db.select().from(orders).where(eq(orders.id, old.id))
    expect(oldRow).toMatchObject({
      residentRef: `purged:${old.id}`,
      residentName: '居民',
      text: '楼道灯坏了 电话138****5678 *栋*单元*室',
    })
    const events = await o.t.db.select().from(orderEvents).where(eq(orderEvents.orderId, old.id))
    expect(events.some((e) => e.actorRef === 'wxid_old')).toBe(false)
    // Not yet past the retention, or not closed: untouched.
    for (const kept of [recent, open]) {
      const [row] = await o.t.db.select().from(orders).where(eq(orders.id, kept.id))
      expect(row?.residentName).toBe('王阿姨')
      expect(row?.text).toContain('1')
    }
    const [line] = await o.t.db.select().from(auditLog).where(eq(auditLog.action, 'command.notice'))
    expect(line).toMatchObject({ actorRef: 'purged', detail: { required: 'propagandist' } })
    expect(line?.detail).not.toHaveProperty('text')

    // Idempotent: a second run changes nothing.
    const again = await runCli(privacyPurge, { DATABASE_URL: o.t.url }, [], { days: '180' })
    expect(again.lines[0]).toMatch(/工单 0 张、审计记录 0 条/)
  })

  it('exports what is held about one WeChat id, and refuses a malformed one', async () => {
    await order('帮忙取药 电话13612345678', 'wxid_export')
    const run = await runCli(privacyExport, { DATABASE_URL: o.t.url }, ['wxid_export'])
    expect(run.code).toBe(0)
    const data = JSON.parse(run.lines.join('\n'))
    expect(data.wechatId).toBe('wxid_export')
    expect(data.orders).toHaveLength(1)
    expect(data.orders[0].text).toBe('帮忙取药 电话13612345678')
    expect(data.orders[0].timeline.length).toBeGreaterThan(0)
    await expect(
      runCli(privacyExport, { DATABASE_URL: o.t.url }, ["x'; drop table orders; --"]),
    ).rejects.toThrow('用法')
    const audits = await o.t.db.select().from(auditLog).where(eq(auditLog.action, 'privacy.export'))
    expect(audits).toHaveLength(1)
  })

  it('anonymises the resident of an order they were asked about (ask-back), with the order', async () => {
    const asked = await order('帮我问问那个补贴的事情', 'wxid_asked')
    const [question] = await o.t.db
      .select()
      .from(orderQuestions)
      .where(eq(orderQuestions.orderId, asked.id))
    expect(question?.residentRef).toBe('wxid_asked')
    await age(asked.id, 200, 'cancelled')
    await runCli(privacyPurge, { DATABASE_URL: o.t.url }, [], { days: '180' })
    const [after] = await o.t.db
      .select()
      .from(orderQuestions)
      .where(eq(orderQuestions.orderId, asked.id))
    expect(after?.residentRef).toBe(`purged:${asked.id}`)
  })
})
