import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { boundedDistance, comparable, matchNotice } from '../broadcasts/verify-match.ts'
import {
  type BroadcastDistrict,
  memberActor,
  noticeCopies,
  replyTo,
  startBroadcastDistrict,
  untilDone,
} from './support/broadcasts-district.ts'
import { seeded } from './support/prng.ts'

const OFFICIAL =
  '【石桥铺街道】12月20日（周六）上午9:00在科园社区广场开展义诊活动，65岁以上老人可免费测血压、血糖，请带好身份证。'

describe('matchNotice (pure)', () => {
  const officials = [
    { id: 7, text: `${OFFICIAL}\n——新时代文明实践中心 N7` },
    { id: 3, text: '本周日上午停水，请提前储水。' },
  ]

  it('an exact copy, with or without its signature, re-spaced and re-punctuated', () => {
    expect(matchNotice(`${OFFICIAL}\n——新时代文明实践中心 N7`, officials)).toEqual({
      kind: 'exact',
      id: 7,
    })
    expect(matchNotice(OFFICIAL, officials)).toEqual({ kind: 'exact', id: 7 })
    const respaced = OFFICIAL.replace(/，/g, ' ').replace(/。/g, '!!').replace('9:00', '９：００')
    expect(matchNotice(respaced, officials)).toEqual({ kind: 'exact', id: 7 })
  })

  it('a near copy: a few characters changed, the numbers the same', () => {
    const typed = OFFICIAL.replace('开展义诊活动', '搞义诊活动').replace('请带好', '记得带')
    expect(matchNotice(typed, officials)).toEqual({ kind: 'near', id: 7 })
  })

  it('an altered date, time or amount is not confirmed', () => {
    expect(matchNotice(OFFICIAL.replace('12月20日', '12月21日'), officials)).toBeUndefined()
    expect(matchNotice(OFFICIAL.replace('9:00', '8:00'), officials)).toBeUndefined()
    expect(matchNotice(OFFICIAL.replace('65岁', '60岁'), officials)).toBeUndefined()
    expect(
      matchNotice(OFFICIAL.replace('免费测血压', '缴费200元测血压'), officials),
    ).toBeUndefined()
  })

  it('a made-up text carrying a real code is not confirmed', () => {
    const fake = '【石桥铺街道】即日起每户须缴纳卫生费300元，逾期停水。\n——新时代文明实践中心 N7'
    expect(matchNotice(fake, officials)).toBeUndefined()
  })

  it('unrelated chat and near-empty text match nothing', () => {
    expect(matchNotice('今天天气真好，大家出来晒太阳', officials)).toBeUndefined()
    expect(matchNotice('N7', officials)).toBeUndefined()
    expect(matchNotice('', officials)).toBeUndefined()
  })

  it('comparable drops spacing, punctuation, emoji and the signature line', () => {
    expect(comparable('本周日 上午停水😊！\n——新时代文明实践中心 N3')).toBe('本周日上午停水')
  })

  it('boundedDistance equals the plain Levenshtein distance within its limit', () => {
    const random = seeded(20261202)
    const alphabet = [...'停水通知义诊123']
    const word = () =>
      Array.from(
        { length: Math.floor(random() * 12) },
        () => alphabet[Math.floor(random() * alphabet.length)]!,
      )
    for (let n = 0; n < 2_000; n++) {
      const a = word()
      const b = word()
      const exact = levenshtein(a, b)
      const limit = Math.floor(random() * 8)
      expect(boundedDistance(a, b, limit)).toBe(exact <= limit ? exact : limit + 1)
    }
  })
})

function levenshtein(a: string[], b: string[]): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    }
  }
  return d[a.length]![b.length]!
}

describe('核验 in chat on the sample district', () => {
  let d: BroadcastDistrict
  let code: string
  const HOME = '科园社区第一网格1栋居民群'
  const ELSEWHERE = '西郊路社区第一网格1栋居民群'

  beforeAll(async () => {
    d = await startBroadcastDistrict()
    const actor = await memberActor(d.t.db, 'wxid_liuyang')
    const created = await createNotice(d.services, {
      actor,
      scope: '九龙坡区/石桥铺街道',
      text: OFFICIAL,
    })
    if (!created.ok) throw new Error(created.message)
    const confirmed = await confirmNotice(d.services, { id: created.notice.id, actor })
    expect(confirmed.outcome).toBe('confirmed')
    await untilDone(d, created.notice.id)
    code = `N${created.notice.id}`
  })
  afterAll(async () => {
    await d?.stop()
  })

  /** What the bot answers `text` from a resident of `topic`. */
  async function ask(wechatId: string, topic: string, text: string): Promise<string> {
    const reply = replyTo(d, topic, '核验')
    const other = replyTo(d, topic, '官方通知')
    d.network.say(wechatId, topic, text)
    return (await Promise.any([reply, other])).text
  }

  it('every group received the notice signed with its code', () => {
    const copies = noticeCopies(d, OFFICIAL)
    expect(copies).toHaveLength(17)
    for (const copy of copies) expect(copy.text).toBe(`${OFFICIAL}\n——新时代文明实践中心 ${code}`)
  })

  it('an exact copy is confirmed with its code, the unit it went to and the day', async () => {
    const said = noticeCopies(d, OFFICIAL)[0]!.text
    const text = await ask('wxid_linxiuying', HOME, `核验 ${said}`)
    expect(text).toMatch(
      new RegExp(`核验通过：这是官方通知 ${code}，\\d{4}-\\d{2}-\\d{2} 发往石桥铺街道`),
    )
  })

  it('a quote-reply of 核验 checks the quoted message', async () => {
    const text = await ask(
      'wxid_gaojianguo',
      '科园社区第一网格2栋居民群',
      `「王阿姨：${OFFICIAL}」\n- - - - - - - - - - - - - - -\n核验`,
    )
    expect(text).toContain(`核验通过：这是官方通知 ${code}`)
  })

  it('a near copy is confirmed as such, with the official text to read against', async () => {
    const typed = OFFICIAL.replace('开展义诊活动', '搞义诊活动').replace(/，/g, ' ')
    const text = await ask('wxid_linxiuying', HOME, `核验${typed}`)
    expect(text).toContain(`与官方通知 ${code}`)
    expect(text).toContain('基本一致')
    expect(text).toContain('开展义诊活动')
  })

  it('an altered date or a fabricated text with the real code is not confirmed', async () => {
    const altered = await ask(
      'wxid_linxiuying',
      HOME,
      `核验 ${OFFICIAL.replace('12月20日', '12月27日')}`,
    )
    expect(altered).toContain('未找到与这段内容相符的官方通知')
    const fake = await ask(
      'wxid_linxiuying',
      HOME,
      `核验 【石桥铺街道】即日起每户须缴纳卫生费300元，逾期停水。——新时代文明实践中心 ${code}`,
    )
    expect(fake).toContain('未找到与这段内容相符的官方通知')
  })

  it('a group the notice never went to is not told it is official', async () => {
    const text = await ask('wxid_songyumei', ELSEWHERE, `核验 ${OFFICIAL}`)
    expect(text).toContain('未找到与这段内容相符的官方通知')
  })

  it('核验 with nothing to check asks for the text; ordinary chat about it stays silent', async () => {
    expect(await ask('wxid_linxiuying', HOME, '核验')).toContain('请在「核验」后粘贴要核验的内容')
    const before = d.network.botLines(HOME).length
    d.network.say('wxid_linxiuying', HOME, '核实了吗？我看群里都在转')
    d.network.say('wxid_linxiuying', HOME, '今天天气真好')
    await new Promise((r) => setTimeout(r, 500))
    expect(d.network.botLines(HOME)).toHaveLength(before)
  })
})
