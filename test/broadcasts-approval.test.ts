import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NoticeActor } from '../broadcasts/authorize.ts'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import type { Services } from '../core/services.ts'
import { notices } from '../db/schema/broadcasts.ts'
import { memberActor } from './support/broadcasts-district.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'
import { createTestRedis, type TestRedis } from './support/redis.ts'
import { importSample, testServices } from './support/sample-services.ts'

/** 双人审核 in the domain: what chat's 确认 and the console's buttons both call. */
describe('notices needing a second approval (NOTICE_APPROVAL_TIERS=1,2)', () => {
  let t: TestDatabase
  let redis: TestRedis
  let services: Services
  beforeAll(async () => {
    t = await createTestDatabase()
    await importSample(t.db)
    redis = await createTestRedis()
    services = testServices(t.db, redis.connection, redis.prefix, { noticeApprovalTiers: [1, 2] })
  })
  afterAll(async () => {
    await services?.messenger.close()
    await redis?.close()
    await t?.close()
  })

  const draft = async (actor: NoticeActor, scope: string) => {
    const created = await createNotice(services, { actor, scope, text: `通知 ${scope}` })
    if (!created.ok) throw new Error(created.message)
    return created.notice.id
  }
  const statusOf = async (id: number) =>
    (await t.db.select().from(notices).where(eq(notices.id, id)))[0]

  it('the author asks, the author again or an outsider cannot send it, a second member over the scope does', async () => {
    const wangfang = await memberActor(t.db, 'wxid_wangfang')
    const id = await draft(wangfang, '九龙坡区')
    const zhaolei = await memberActor(t.db, 'wxid_zhaolei')
    // Approving before the author has confirmed is not an approval.
    expect((await confirmNotice(services, { id, actor: zhaolei })).outcome).toBe('awaitingApproval')
    expect((await statusOf(id))?.approvalRequestedAt).toBeNull()

    const asked = await confirmNotice(services, { id, actor: wangfang })
    expect(asked).toMatchObject({ outcome: 'awaitingApproval' })
    expect(asked.message).toContain('双人审核')
    expect((await confirmNotice(services, { id, actor: wangfang })).message).toContain('等待')
    const liuyang = await memberActor(t.db, 'wxid_liuyang')
    expect((await confirmNotice(services, { id, actor: liuyang })).outcome).toBe('refused')
    expect((await statusOf(id))?.status).toBe('draft')

    expect((await confirmNotice(services, { id, actor: zhaolei })).outcome).toBe('confirmed')
    expect(await statusOf(id)).toMatchObject({
      status: 'confirmed',
      approvedByMemberId: zhaolei.kind === 'member' ? zhaolei.member?.id : -1,
    })
  })

  it('a community notice and an operator need no second approval', async () => {
    const liuyang = await memberActor(t.db, 'wxid_liuyang')
    const community = await draft(liuyang, '九龙坡区/石桥铺街道/科园社区')
    expect((await confirmNotice(services, { id: community, actor: liuyang })).outcome).toBe(
      'confirmed',
    )
    const operator: NoticeActor = { kind: 'operator', ref: 'cli:test' }
    const district = await draft(operator, '九龙坡区')
    expect((await confirmNotice(services, { id: district, actor: operator })).outcome).toBe(
      'confirmed',
    )
  })
})
