import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fillTemplate } from '../broadcasts/notice-templates.ts'
import { notices } from '../db/schema/broadcasts.ts'
import {
  type BroadcastDistrict,
  codeIn,
  replyTo,
  startBroadcastDistrict,
} from './support/broadcasts-district.ts'

describe('fillTemplate (pure)', () => {
  it('fills 活动预告 from 字段：内容 lines, full-width or not, and drops an optional line left out', () => {
    expect(
      fillTemplate('模板 活动预告\n活动：社区义诊\n时间: 12月20日 上午9点\n地点：科园社区广场'),
    ).toEqual({
      kind: 'filled',
      text: '【活动预告】社区义诊将在科园社区广场举行，欢迎居民朋友踊跃参加。\n活动时间 12月20日 上午9点',
    })
    expect(
      fillTemplate('模板：停水；原因：管网检修；区域：科园社区；时间：12月5日8:00至18:00'),
    ).toEqual({
      kind: 'filled',
      text: '【停水通知】因管网检修，科园社区将于12月5日8:00至18:00停水，请居民朋友提前储水。给您带来不便，敬请谅解。',
    })
  })

  it('names what is missing, an unknown template, the list; a plain text is plain', () => {
    expect(fillTemplate('模板 活动预告\n活动：义诊')).toEqual({
      kind: 'missing',
      name: '活动预告',
      fields: ['地点', '时间'],
    })
    expect(fillTemplate('模板 放假')).toEqual({ kind: 'unknown', name: '放假' })
    expect(fillTemplate('模板')).toEqual({ kind: 'list' })
    expect(fillTemplate('明天停水，请储水')).toEqual({ kind: 'plain' })
    // A value never becomes a placeholder of its own.
    expect(fillTemplate('模板 停电\n原因：{原因}\n区域：科园社区\n时间：周六')).toMatchObject({
      kind: 'filled',
      text: expect.stringContaining('因{原因}，科园社区'),
    })
  })
})

describe('模板 notices in chat', () => {
  let d: BroadcastDistrict
  const STAFF = '石桥铺街道新时代文明实践所工作群'
  beforeAll(async () => {
    d = await startBroadcastDistrict()
  })
  afterAll(async () => {
    await d?.stop()
  })

  it('a filled 活动预告 is a notice with its event time; the list and a gap are answered', async () => {
    const preview = replyTo(d, STAFF, '共 17 个群')
    d.network.say(
      'wxid_liuyang',
      STAFF,
      '通知 模板 活动预告\n活动：社区义诊\n时间：2099年12月20日 上午9点\n地点：科园社区广场',
    )
    const text = (await preview).text
    expect(text).toContain('内容：【活动预告】社区义诊将在科园社区广场举行')
    expect(text).toContain('活动时间 2099-12-20 09:00')
    const [row] = await d.t.db
      .select()
      .from(notices)
      .where(eq(notices.id, codeIn(text)))
    expect(row?.text).toBe(
      '【活动预告】社区义诊将在科园社区广场举行，欢迎居民朋友踊跃参加。\n活动时间 2099年12月20日 上午9点',
    )

    const list = replyTo(d, STAFF, '可用的通知模板')
    d.network.say('wxid_liuyang', STAFF, '通知 模板')
    expect((await list).text).toContain('活动预告')
    const gap = replyTo(d, STAFF, '还缺')
    d.network.say('wxid_liuyang', STAFF, '通知 模板 停水\n原因：管网检修')
    expect((await gap).text).toContain('模板「停水」还缺：区域、时间')
  })
})
