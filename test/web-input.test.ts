import { describe, expect, it } from 'vitest'
import { csvCell } from '../core/csv.ts'
import { durationText, estimateMinutes, sendsPerMinute } from '../web/notices/estimate.ts'
import { parseNoticeForm, parseNoticeId } from '../web/notices/form-input.ts'

describe('the console parses what a browser (or an attacker) sends', () => {
  it('keeps only real tiers and kinds, one of each, and bounds the text', () => {
    const form = parseNoticeForm({
      scope: ['  九龙坡区/石桥铺街道 ', '九龙坡区'],
      tiers: ['4', '4', '0', '6', '1e1', '２', '2.5', ' 5', 'x'],
      kinds: ['residents', 'residents', 'admins', "'; drop table notices; --"],
      text: 'x'.repeat(100_000),
      at: ['2099-06-01T09:00'],
    })
    expect(form.scope).toBe('九龙坡区/石桥铺街道')
    expect(form.tiers).toEqual([4, 5])
    expect(form.kinds).toEqual(['residents'])
    expect(form.text).toHaveLength(20_000)
    expect(form.at).toBe('2099-06-01T09:00')
    expect(parseNoticeForm({})).toEqual({
      scope: '',
      tiers: [],
      kinds: [],
      text: '',
      at: '',
      uploads: [],
      link: '',
      linkTitle: '',
    })
    const file = new File(['x'], 'x.txt')
    expect(parseNoticeForm({ scope: file, text: [file] })).toMatchObject({ scope: '', text: '' })
  })

  it('takes one picture and one file, never a name typed where a file goes, nor an empty input', () => {
    const poster = new File(['png'], '海报.png')
    const second = new File(['png'], '第二张.png')
    const form = parseNoticeForm({
      image: [poster, second],
      file: new File([], ''),
      link: ' https://mp.weixin.qq.com/s/x ',
      linkTitle: 'y'.repeat(10_000),
    })
    expect(form.uploads).toEqual([{ kind: 'image', file: poster }])
    expect(form.link).toBe('https://mp.weixin.qq.com/s/x')
    expect(form.linkTitle).toHaveLength(4_000)
    expect(parseNoticeForm({ image: '/etc/passwd', file: ['x.pdf'] }).uploads).toEqual([])
  })

  it('reads notice ids as chat writes them, and nothing else', () => {
    expect(parseNoticeId('12')).toBe(12)
    expect(parseNoticeId('N12')).toBe(12)
    expect(parseNoticeId('n7')).toBe(7)
    for (const bad of ['', 'N', '-1', '１２', '12a', '1'.repeat(10), '../12', '12;']) {
      expect(parseNoticeId(bad)).toBeUndefined()
    }
  })

  it('quotes CSV cells and defuses formulas', () => {
    expect(csvCell('A0001')).toBe('A0001')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"')
    expect(csvCell('+1')).toBe("'+1")
    expect(csvCell('-1')).toBe("'-1")
    expect(csvCell('@x')).toBe("'@x")
  })
})

describe("the preview's duration estimate", () => {
  const defaults = { perMinute: 30, minGapMs: 1500, jitterMs: 1000 }

  it('is the busiest account’s groups over its sends per minute (groups ÷ accounts × cap)', () => {
    // The defaults: the cap (30) and the gap (1.5 s + 0.5 s average jitter = 30/min) agree.
    expect(sendsPerMinute(defaults)).toBe(30)
    // 11,181 groups spread evenly over 22 accounts: ~508 each, ~17 minutes.
    const even = Array.from({ length: 22 }, () => ({ groups: 11_181 / 22 }))
    expect(estimateMinutes(even, defaults)).toBeCloseTo(11_181 / 22 / 30, 5)
    // Uneven: the account with 300 groups decides.
    expect(estimateMinutes([{ groups: 300 }, { groups: 100 }], defaults)).toBe(10)
    // A longer gap is the tighter limit: 60 s / 3.5 s ≈ 17.1 a minute.
    expect(sendsPerMinute({ perMinute: 30, minGapMs: 3000, jitterMs: 1000 })).toBeCloseTo(17.14, 2)
    expect(estimateMinutes([], defaults)).toBe(0)
  })

  it('reads as minutes, or hours and minutes', () => {
    expect(durationText(0.2)).toBe('不到 1 分钟')
    expect(durationText(16.9)).toBe('约 17 分钟')
    expect(durationText(125)).toBe('约 2 小时 5 分钟')
  })
})
