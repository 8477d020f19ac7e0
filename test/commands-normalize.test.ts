import { describe, expect, it } from 'vitest'
import { codePointLength, normalizeMessage, normalizeText } from '../core/text.ts'

describe('normalizeText', () => {
  it('folds full-width letters, digits and punctuation to half-width (NFKC)', () => {
    expect(normalizeText('进度：Ａ００４２')).toBe('进度:A0042')
    expect(normalizeText('＠圈群助手　点单')).toBe('@圈群助手 点单')
    expect(normalizeText('评价 A0042 ⑤')).toBe('评价 A0042 5')
  })

  it('turns the U+2005 WeChat puts after an @mention and U+3000 into one space', () => {
    expect(normalizeText('@圈群助手\u2005点单')).toBe('@圈群助手 点单')
    expect(normalizeText('点单\u3000\u3000修水管')).toBe('点单 修水管')
  })

  it('strips zero-width characters, BOM and word joiners', () => {
    for (const c of ['\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u2060', '\uFEFF']) {
      expect(normalizeText(`点${c}单`)).toBe('点单')
    }
  })

  it('strips bidi controls', () => {
    for (const c of [
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2069',
      '\u061C',
    ]) {
      expect(normalizeText(`${c}接单 A0042${c}`)).toBe('接单 A0042')
    }
  })

  it('strips C0 and C1 control characters but keeps whitespace as space', () => {
    expect(normalizeText('点\u0000单\u0007 \u001B修\u007F水\u0085管')).toBe('点单 修水管')
    expect(normalizeText('点单\t修水管')).toBe('点单 修水管')
    expect(normalizeText('点单\u000B\u000C修水管')).toBe('点单 修水管')
  })

  it('collapses whitespace runs and trims', () => {
    expect(normalizeText('   点单    修   水管  \n ')).toBe('点单 修 水管')
    expect(normalizeText('a\r\nb\u2028c')).toBe('a b c')
    expect(normalizeText('')).toBe('')
    expect(normalizeText(' \u3000\u200B ')).toBe('')
  })

  it('keeps paragraphs when asked: one line break, or one blank line at most', () => {
    expect(
      normalizeText('各位居民：  \r\n  明天停水\n\n\n\n请储水', { keepLineBreaks: true }),
    ).toBe('各位居民:\n明天停水\n\n请储水')
  })

  it('replaces lone surrogates, keeps surrogate pairs', () => {
    expect(normalizeText('a\uD800b')).toBe('a\uFFFDb')
    expect(normalizeText('a\uDC00')).toBe('a\uFFFD')
    expect(normalizeText('修😀好')).toBe('修😀好')
  })

  it('splits emoji ZWJ sequences into their visible parts', () => {
    expect(normalizeText('👨\u200D👩\u200D👧')).toBe('👨👩👧')
  })
})

describe('normalizeMessage', () => {
  it('keeps the author characters in text and folds widths in the aligned view', () => {
    const m = normalizeMessage('  点单：３栋\u200B电梯坏了！ ')
    expect(m.text).toBe('点单：３栋电梯坏了！')
    expect(m.folded).toBe('点单:3栋电梯坏了!')
    expect(m.folded.length).toBe(m.text.length)
  })

  it('leaves characters whose NFKC form has another length as they are', () => {
    const m = normalizeMessage('™ﬁ𝐀Ａ')
    expect(m.folded).toBe('™ﬁ𝐀A')
  })

  it('keeps line breaks', () => {
    expect(normalizeMessage('通知\n\n\n明天停水').text).toBe('通知\n\n明天停水')
  })
})

describe('codePointLength', () => {
  it('counts code points, as varchar(n) does', () => {
    expect(codePointLength('')).toBe(0)
    expect(codePointLength('点单')).toBe(2)
    expect(codePointLength('😀😀')).toBe(2)
    expect(codePointLength('\uD800x')).toBe(2)
  })
})
