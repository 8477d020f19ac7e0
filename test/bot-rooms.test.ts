import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MOCK_BOT_NAME } from '../bot/mock-network.ts'
import { auditLog } from '../db/schema/audit.ts'
import { botAccounts, groups, units } from '../db/schema/network.ts'
import { type SampleDistrict, startSampleDistrict, until } from './support/sample-district.ts'

const SHIQIAOPU = '九龙坡区/石桥铺街道'

describe('the bot on the sample district', () => {
  let d: SampleDistrict
  beforeAll(async () => {
    d = await startSampleDistrict()
  })
  afterAll(async () => {
    await d?.stop()
  })

  const groupOfRoom = async (roomId: string) =>
    (await d.t.db.select().from(groups).where(eq(groups.roomId, roomId)))[0]

  const reply = (topic: string, includes: string) =>
    d.network.waitFor((s) => s.fromBot && s.topic === topic && s.text.includes(includes))

  it('binds every imported group to its mock room by topic', async () => {
    const rows = await d.t.db.select().from(groups)
    expect(rows).toHaveLength(27)
    for (const row of rows) {
      expect(row.roomId).toBe(d.network.room(row.topic).room.id)
      expect(row.active).toBe(true)
    }
    const accounts = await d.t.db.select().from(botAccounts)
    expect(accounts.map((a) => a.state).sort()).toEqual(['online', 'online'])
  })

  it('stays silent on ordinary chat and answers a keyword', async () => {
    const topic = '科园社区第一网格1栋居民群'
    const before = d.network.botLines(topic).length
    d.network.say('wxid_linxiuying', topic, '今天天气真好，大家吃了吗')
    d.network.say('wxid_linxiuying', topic, '我想点单但是不知道怎么弄')
    const help = reply(topic, '圈群助手可以帮您')
    d.network.say('wxid_linxiuying', topic, '帮助')
    await help
    const lines = d.network.botLines(topic).slice(before)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^@林秀英 圈群助手可以帮您/)
  })

  it('answers an @mention of the bot and a malformed command with a hint', async () => {
    const topic = '科园社区第一网格2栋居民群'
    const help = reply(topic, '圈群助手可以帮您')
    d.network.say('wxid_gaojianguo', topic, `@${MOCK_BOT_NAME}\u2005`)
    await help
    const hint = reply(topic, '评价 A0042 5')
    d.network.say('wxid_gaojianguo', topic, '评价 A0042')
    expect((await hint).text).toContain('格式')
  })

  it('gives staff-command hints only to staff: a resident saying 确认 alone is chat', async () => {
    const topic = '科园社区第二网格1栋居民群'
    const before = d.network.botLines(topic).length
    d.network.say('wxid_yangguilan', topic, '确认')
    const hint = reply('石桥铺街道新时代文明实践所工作群', '确认 N12')
    d.network.say('wxid_liuyang', '石桥铺街道新时代文明实践所工作群', '确认')
    await hint
    expect(d.network.botLines(topic).length).toBe(before)
  })

  it('binds an unknown room by 绑定 from staff of that unit', async () => {
    const account = d.network.account('bot-shiqiaopu')
    const room = d.network.createRoom(account, '石桥铺街道志愿者临时群')
    const done = reply('石桥铺街道志愿者临时群', '已将本群绑定')
    d.network.say('wxid_liuyang', '石桥铺街道志愿者临时群', `绑定 ${SHIQIAOPU}`)
    await done
    const group = await groupOfRoom(room.id)
    const [unit] = await d.t.db.select().from(units).where(eq(units.path, SHIQIAOPU))
    expect(group?.unitId).toBe(unit!.id)
    const [audit] = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'group.bind'), eq(auditLog.groupId, group!.id)))
    expect(audit?.allowed).toBe(true)
  })

  it('refuses 绑定 from a resident and from staff of another township, and audits both', async () => {
    const account = d.network.account('bot-shiqiaopu')
    const room = d.network.createRoom(account, '陌生群')
    const refusedResident = reply('陌生群', '没有在本单位')
    d.network.say('wxid_linxiuying', '陌生群', `绑定 ${SHIQIAOPU}`)
    await refusedResident
    const refusedStaff = d.network.waitFor(
      (s) => s.fromBot && s.topic === '陌生群' && s.text.startsWith('@陈静'),
    )
    d.network.say('wxid_chenjing', '陌生群', `绑定 ${SHIQIAOPU}`)
    expect((await refusedStaff).text).toContain('没有在本单位')
    expect(await groupOfRoom(room.id)).toBeUndefined()
    const refusals = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'group.bind'), eq(auditLog.allowed, false)))
    expect(refusals.map((r) => r.actorRef).sort()).toEqual(['wxid_chenjing', 'wxid_linxiuying'])
  })

  it('refuses a command that needs a role the talker lacks, and audits it', async () => {
    const topic = '科园社区第二网格1栋居民群'
    const refused = reply(topic, '没有在本单位')
    d.network.say('wxid_yangguilan', topic, '通知 明天上午停水')
    await refused
    const rows = await d.t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'command.notice'), eq(auditLog.actorRef, 'wxid_yangguilan')))
    expect(rows).toHaveLength(1)
    expect(rows[0]!.allowed).toBe(false)
  })

  it('keeps a room bound when its topic changes, and binds a room the bot is added to', async () => {
    const { room, account } = d.network.room('渝州路社区第一网格2栋居民群')
    const groupBefore = await groupOfRoom(room.id)
    room.topic('渝州路2栋邻里守望群').by(d.network.contact(account, 'wxid_zhengshuang'))
    await until(async () => (await groupOfRoom(room.id))?.topic === '渝州路2栋邻里守望群')
    const groupAfter = await groupOfRoom(room.id)
    expect(groupAfter?.id).toBe(groupBefore!.id)
    expect(groupAfter?.unitId).toBe(groupBefore!.unitId)
    expect(groupAfter?.active).toBe(true)

    // An imported group whose room the bot has not met yet: bound when the bot is added.
    const [unit] = await d.t.db.select().from(units).where(eq(units.path, SHIQIAOPU))
    await d.t.db.insert(groups).values({ unitId: unit!.id, topic: '石桥铺街道楼长群' })
    const staff = d.network.contact(account, 'wxid_liuyang')
    const newRoom = account.mocker.createRoom({
      topic: '石桥铺街道楼长群',
      memberIdList: [staff.id],
    })
    newRoom.add(account.self).by(staff)
    await until(async () => (await groupOfRoom(newRoom.id))?.unitId === unit!.id)
  })

  it('accepts a room invitation from known staff only, and audits both', async () => {
    const account = d.network.account('bot-shiqiaopu')
    // wechaty-puppet-mock keeps no invitation payloads; give its puppet the two it is asked for.
    const puppet = account.mocker.puppet as unknown as {
      roomInvitationRawPayload(id: string): Promise<unknown>
      roomInvitationAccept(id: string): Promise<void>
      emit(event: 'room-invite', payload: { roomInvitationId: string }): boolean
    }
    const accepted: string[] = []
    puppet.roomInvitationAccept = async (id) => {
      accepted.push(id)
    }
    puppet.roomInvitationRawPayload = async (id) => ({
      id,
      inviterId: id === 'inv-staff' ? 'wxid_liuyang' : 'wxid_linxiuying',
      topic: '新建的群',
      avatar: '',
      invitation: '',
      memberCount: 3,
      memberIdList: [],
      timestamp: Date.now(),
      receiverId: account.self.id,
    })
    d.network.contact(account, 'wxid_liuyang')
    d.network.contact(account, 'wxid_linxiuying')
    puppet.emit('room-invite', { roomInvitationId: 'inv-stranger' })
    puppet.emit('room-invite', { roomInvitationId: 'inv-staff' })
    await until(async () => {
      const rows = await d.t.db.select().from(auditLog).where(eq(auditLog.action, 'room.invite'))
      return rows.length === 2
    })
    expect(accepted).toEqual(['inv-staff'])
    const rows = await d.t.db.select().from(auditLog).where(eq(auditLog.action, 'room.invite'))
    expect(rows.map((r) => [r.actorRef, r.allowed]).sort()).toEqual([
      ['wxid_linxiuying', false],
      ['wxid_liuyang', true],
    ])
  })

  it('deactivates the group of a room the bot was removed from', async () => {
    const { room, account } = d.network.room('西郊路社区第二网格2栋居民群')
    room.remove(account.self).by(d.network.contact(account, 'wxid_luoyong'))
    await until(async () => (await groupOfRoom(room.id))?.active === false)
  })

  it('holds every send of a cooling account until the cool-down ends, then says all of them', async () => {
    const topic = '西郊路社区第一网格居民群'
    const { account, room } = d.network.room(topic)
    d.network.systemMessage(topic, '操作过于频繁')
    await until(async () => {
      const [row] = await d.t.db
        .select()
        .from(botAccounts)
        .where(eq(botAccounts.name, account.name))
      return row?.state === 'cooling'
    })
    const queuedAt = Date.now()
    for (let i = 0; i < 5; i++) {
      await d.services.messenger.toRoom(account.name, room.id, {
        text: `冷却后 ${i}`,
        kind: 'notice',
      })
    }
    await until(
      async () => d.network.botLines(topic).filter((l) => l.startsWith('冷却后')).length === 5,
    )
    const said = d.network.transcript.filter((s) => s.fromBot && s.text.startsWith('冷却后'))
    expect(said.map((s) => s.text).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `冷却后 ${i}`))
    // FAST_PACING's cool-down is 1 s: nothing went out before most of it had passed.
    expect(Math.min(...said.map((s) => s.at)) - queuedAt).toBeGreaterThan(500)
  })

  it('cools the account down on a throttling system message in a room', async () => {
    const { account } = d.network.room('渝州路社区居民群')
    // A resident typing the same words is only chat: it must not pause the account.
    d.network.say('wxid_xuzhiming', '渝州路社区居民群', '操作过于频繁')
    const [before] = await d.t.db
      .select()
      .from(botAccounts)
      .where(eq(botAccounts.name, account.name))
    expect(before?.state).toBe('online')
    d.network.systemMessage('渝州路社区居民群', '操作过于频繁，请稍后再试')
    await until(async () => {
      const [row] = await d.t.db
        .select()
        .from(botAccounts)
        .where(eq(botAccounts.name, account.name))
      return row?.state === 'cooling'
    })
  })
})
