import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { types } from 'wechaty'
import { auditLog } from '../db/schema/audit.ts'
import { botAccounts, groups, units } from '../db/schema/network.ts'
import { type SampleDistrict, startSampleDistrict, until } from './support/sample-district.ts'

const KEYUAN = '九龙坡区/石桥铺街道/科园社区'
const SHIQIAOPU = '九龙坡区/石桥铺街道'

describe('room bindings and cool-downs hold against insiders and strangers', () => {
  let d: SampleDistrict
  beforeAll(async () => {
    d = await startSampleDistrict()
  })
  afterAll(async () => {
    await d?.stop()
  })

  const groupByTopic = async (topic: string) =>
    (await d.t.db.select().from(groups).where(eq(groups.topic, topic)))[0]
  const groupOfRoom = async (roomId: string) =>
    (await d.t.db.select().from(groups).where(eq(groups.roomId, roomId)))[0]
  const unitId = async (path: string) =>
    (await d.t.db.select().from(units).where(eq(units.path, path)))[0]!.id
  const reply = (topic: string, talker: string, includes: string) =>
    d.network.waitFor(
      (s) =>
        s.fromBot &&
        s.topic === topic &&
        s.text.startsWith(`@${talker}`) &&
        s.text.includes(includes),
    )
  const bindAudits = async (actorRef: string) =>
    d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'group.bind'), eq(auditLog.actorRef, actorRef)))

  it('a grid worker cannot re-point the community workers room to her grid', async () => {
    const topic = '科园社区志愿服务工作群'
    const before = await groupByTopic(topic)
    const refused = reply(topic, '孙丽', '没有在本单位')
    d.network.say('wxid_sunli', topic, `绑定 ${KEYUAN}/第一网格`)
    await refused
    expect((await groupByTopic(topic))?.unitId).toBe(before!.unitId)
    const audits = await bindAudits('wxid_sunli')
    expect(audits.map((a) => a.allowed)).toEqual([false])
  })

  it('a township propagandist cannot re-point the district staff room to his township', async () => {
    const topic = '九龙坡区文明实践中心工作群'
    const before = await groupByTopic(topic)
    const refused = reply(topic, '刘洋', '没有在本单位')
    d.network.say('wxid_liuyang', topic, `绑定 ${SHIQIAOPU}`)
    await refused
    expect((await groupByTopic(topic))?.unitId).toBe(before!.unitId)
    const audits = await bindAudits('wxid_liuyang')
    expect(audits).toHaveLength(1)
    expect(audits[0]).toMatchObject({ allowed: false, groupId: before!.id })
    expect(audits[0]!.detail).toMatchObject({ fromPath: '九龙坡区' })
  })

  it('re-points a room when the staff member holds both its unit and the new one', async () => {
    const account = d.network.account('bot-shiqiaopu')
    const room = d.network.createRoom(account, '石桥铺临时协调群')
    const first = reply('石桥铺临时协调群', '刘洋', '已将本群绑定')
    d.network.say('wxid_liuyang', '石桥铺临时协调群', `绑定 ${SHIQIAOPU}`)
    await first
    const moved = reply('石桥铺临时协调群', '刘洋', `已将本群绑定到「${KEYUAN}」`)
    d.network.say('wxid_liuyang', '石桥铺临时协调群', `绑定 ${KEYUAN}`)
    await moved
    expect((await groupOfRoom(room.id))?.unitId).toBe(await unitId(KEYUAN))
  })

  it("a stranger's room named like an unbound staff group claims nothing, by join or by rename", async () => {
    const account = d.network.account('bot-shiqiaopu')
    await d.t.db
      .insert(groups)
      .values({ unitId: await unitId(SHIQIAOPU), topic: '石桥铺街道宣传骨干群', kind: 'staff' })
    await d.t.db
      .insert(groups)
      .values({ unitId: await unitId(SHIQIAOPU), topic: '石桥铺街道网格长群', kind: 'staff' })
    const stranger = d.network.contact(account, 'wxid_linxiuying')
    const room = account.mocker.createRoom({
      topic: '石桥铺街道宣传骨干群',
      memberIdList: [stranger.id],
    })
    room.add(account.self).by(stranger)
    await until(async () => (await bindAudits('wxid_linxiuying')).length === 1)
    expect((await bindAudits('wxid_linxiuying'))[0]?.allowed).toBe(false)
    room.topic('石桥铺街道网格长群').by(stranger)
    await new Promise((r) => setTimeout(r, 300))
    expect(await groupOfRoom(room.id)).toBeUndefined()
    expect((await groupByTopic('石桥铺街道宣传骨干群'))?.roomId).toBeNull()
    expect((await groupByTopic('石桥铺街道网格长群'))?.roomId).toBeNull()
  })

  it('a topic change of a bound room never moves it to the group of that topic', async () => {
    const { room, account } = d.network.room('渝州路社区第二网格1栋居民群')
    const before = await groupOfRoom(room.id)
    room.topic('石桥铺街道网格长群').by(d.network.contact(account, 'wxid_fengtao'))
    await new Promise((r) => setTimeout(r, 500))
    const after = await groupOfRoom(room.id)
    expect(after?.id).toBe(before!.id)
    expect(after?.unitId).toBe(before!.unitId)
    expect((await groupByTopic('石桥铺街道网格长群'))?.roomId).toBeNull()
  })

  it('a resident cannot pause the account: only WeChat’s own notice cools it, each audited', async () => {
    const topic = '科园社区第一网格1栋居民群'
    const { account, room } = d.network.room(topic)
    const state = async () =>
      (await d.t.db.select().from(botAccounts).where(eq(botAccounts.name, account.name)))[0]!.state
    // A resident's message of unknown type with the words, and join notices naming them.
    const resident = d.network.contact(account, 'wxid_linxiuying')
    const id = `m-${randomUUID()}`
    account.mocker.MessageMock.create({
      id,
      type: types.Message.Unknown,
      text: '操作过于频繁，请稍后再试',
      roomId: room.id,
      talkerId: resident.id,
      timestamp: Date.now(),
    })
    account.mocker.puppet.emit('message', { messageId: id })
    d.network.systemMessage(topic, '"请稍后再试"加入了群聊')
    d.network.systemMessage(topic, '"林秀英"邀请"操作太频繁"加入了群聊')
    await new Promise((r) => setTimeout(r, 500))
    expect(await state()).toBe('online')

    d.network.systemMessage(topic, '操作过于频繁，请稍后再试')
    await until(async () => (await state()) === 'cooling')
    d.network.systemMessage(topic, '操作过于频繁，请稍后再试')
    const audits = async () =>
      d.t.db.select().from(auditLog).where(eq(auditLog.action, 'account.cooldown'))
    await until(async () => (await audits()).length === 2)
    expect((await audits()).map((a) => a.allowed)).toEqual([true, false])
    expect((await audits())[0]!.detail).toMatchObject({ account: account.name, roomId: room.id })
  })
})
