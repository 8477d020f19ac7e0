/**
 * The free grammar: lines that do not start with a keyword but whose intent is clear.
 * - one order code and a word of one command family, in either order: "A0001 接单", "接了 A0001",
 *   "已办结 A0001 用时2小时", "查一下A0001到哪了", "给A0001打5分", "A0001 五星好评";
 * - a request phrase at the start and a need named: "我要报修 厕所堵了", "帮我叫个人修下水道"
 *   (a call for someone with no need named is 'unsure': the bot asks back first);
 * - a short answer to the bot's question: "是", "2".
 * Ordinary chat stays silent: codes of rooms, trains and parking spaces, requests to the group
 * and lines of two families are not read. Pure; the word lists are data in grammar.ts.
 */
import { limits } from '../../core/limits.ts'
import { codePointLength } from '../../core/text.ts'
import {
  callWords,
  codeFamilies,
  NOT_AN_ORDER,
  needWords,
  notARequest,
  QUESTION,
  ratingWords,
  requestPhrases,
  yesWords,
} from './free-words.ts'
import { fold, foldString } from './keywords.ts'
import { cleanText, hasWordChars, sliceView, type View } from './message-view.ts'
import { hints, usageHints } from './templates.ts'
import type { Command, ParseResult, Stars } from './types.ts'

/** Code forms are short lines; a long one holding a code and a verb is an article or a notice. */
const CODE_LINE_MAX = 80
/** A request past this is a forwarded text rather than a resident describing a need. */
const REQUEST_LINE_MAX = 200

// Order codes as the keyword grammar reads them (no N: notices), upper or lower case.
const FREE_CODE = /(?<![A-Za-z0-9])([A-MO-Za-mo-z])[ -]?(\d{4,6})(?![A-Za-z0-9])/g
const CODE_LABEL = /(?:单号|编号|订单|工单|#)\s*:?\s*$/
const STARS =
  /(?:打|给|评)?\s*([1-5一二两三四五])\s*(?:颗星|星级|星|分)(?!钟)|(?<![★⭐])(?:[★⭐]\uFE0F?){1,5}(?![★⭐])/
// A notice code in the line too ("取消 N12 A0042"): which one was meant is not clear.
const NOTICE_CODE = /(?<![A-Za-z0-9])[Nn][ -]?\d{1,9}(?![A-Za-z0-9])/
const CHINESE_DIGIT: Readonly<Record<string, Stars>> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 }

type Family = keyof typeof codeFamilies

interface Found {
  family: Family
  start: number
  end: number
}

/** Every family word, longest first, so in "我接不了" the 接 is "接不了"'s, not "我接"'s. */
const familyWords = (Object.entries(codeFamilies) as [Family, readonly string[]][])
  .flatMap(([family, words]) => words.map((word) => ({ family, word: foldString(word) })))
  .sort((a, b) => b.word.length - a.word.length)
const ratingsLongestFirst = [...ratingWords].sort((a, b) => b[0].length - a[0].length)
/** Fillers people put inside a need: "量个血压", "开个锁", "送点药", "修哈水管", "看一下". */
const withoutFillers = (s: string) => s.replace(/一下|[个点哈]/g, '')
const byLength = (words: readonly string[]) =>
  words.map(foldString).sort((a, b) => b.length - a.length)
const requests = byLength(requestPhrases)
const needs = byLength(needWords.map(withoutFillers))
const calls = byLength(callWords.map(withoutFillers))
const notRequests = byLength(notARequest)
const yes = new Set(yesWords.map(foldString))

/** Folds keyword variants and case without changing the string's length, so indices still hold. */
function foldAligned(s: string): string {
  let out = ''
  for (const c of s) {
    const f = fold(c)
    out += f.length === c.length ? f : c
  }
  return out
}

/** The free reading of `rest`, or undefined when the line is ordinary chat. */
export function matchFree(rest: View): ParseResult | undefined {
  // Every free form is a short line: a pasted article costs nothing here.
  if (rest.f.length > 2 * REQUEST_LINE_MAX) return undefined
  const s = foldAligned(rest.f)
  return matchAnswer(s) ?? matchCode(rest, s) ?? matchRequest(rest, s)
}

function command(command: Command, loose: 'sure' | 'unsure' = 'sure'): ParseResult {
  return { kind: 'command', command, mentionedBot: false, loose }
}

/** The whole line is the answer ("是。", "2", "2号"); "+1" and "1. 张三" are sign-ups, not answers. */
function matchAnswer(s: string): ParseResult | undefined {
  const bare = s.replace(/[.!~。！]+$/u, '')
  if (yes.has(bare)) return command({ intent: 'answer', answer: 'yes' })
  const digit = /^([1-9])号?$/.exec(bare)
  return digit ? command({ intent: 'answer', answer: Number(digit[1]) }) : undefined
}

function matchCode(rest: View, s: string): ParseResult | undefined {
  if (codePointLength(s) > CODE_LINE_MAX) return undefined
  const codes = [...s.matchAll(FREE_CODE)].filter(
    (m) => !NOT_AN_ORDER.test(s.slice(m.index + m[0].length)),
  )
  if (codes.length === 0 || NOTICE_CODE.test(s)) return undefined
  const code = `${codes[0]![1]!.toUpperCase()}${codes[0]![2]}`
  // Two different orders in one line: which one was meant is not clear.
  if (codes.some((m) => `${m[1]!.toUpperCase()}${m[2]}` !== code)) return undefined
  const at = codes[0]!.index
  const codeEnd = at + codes[0]![0].length
  // The code is blanked out, so its letter and digits never read as words or stars.
  const label = CODE_LABEL.exec(s.slice(0, at))
  const from = label ? label.index : at
  const text = s.slice(0, from) + ' '.repeat(codeEnd - from) + s.slice(codeEnd)

  const found = findFamilies(text)
  const rating = findRating(text)
  if (found.length === 0 && !rating) return undefined
  const families = new Set(found.map((f) => f.family))
  if (QUESTION.test(text) && !families.has('escalate') && !families.has('returnOrder')) {
    return command({ intent: 'progress', code })
  }
  // Words of two families ("办完了 A0006 老人很满意", "不用了 已经自己修好了"): the first one
  // says what the line does, the rest is its note.
  const first = found.reduce<Found | undefined>(
    (a, f) => (a && a.start < f.start ? a : f),
    undefined,
  )
  if (rating && (!first || rating.start < first.start)) {
    const comment = cleanText(sliceView(rest, Math.max(codeEnd, rating.end)), 0)
    return command({
      intent: 'rate',
      code,
      stars: rating.stars,
      ...(comment !== '' && { comment: limit(comment) }),
    })
  }
  const family = first!.family
  const after = cleanText(sliceView(rest, Math.max(codeEnd, first!.end)), 0)
  switch (family) {
    case 'accept':
    case 'progress':
    case 'cancelOrder':
      return command({ intent: family, code })
    case 'complete':
      return command({ intent: 'complete', code, ...(after !== '' && { note: limit(after) }) })
    case 'returnOrder':
    case 'escalate':
      if (!hasWordChars(after)) {
        return { kind: 'invalid', intent: family, hint: usageHints[family] }
      }
      if (codePointLength(after) > limits.text) {
        return { kind: 'invalid', intent: family, hint: hints.tooLong(limits.text) }
      }
      return command({ intent: family, code, reason: after })
  }
}

/** Family words in `s`, longest first, none inside another one found. */
function findFamilies(s: string): Found[] {
  const found: Found[] = []
  for (const { family, word } of familyWords) {
    for (let i = s.indexOf(word); i !== -1; i = s.indexOf(word, i + 1)) {
      const end = i + word.length
      if (found.some((f) => i < f.end && end > f.start)) continue
      found.push({ family, start: i, end })
    }
  }
  return found
}

function findRating(s: string): { stars: Stars; start: number; end: number } | undefined {
  for (const [word, stars] of ratingsLongestFirst) {
    const i = s.indexOf(word)
    if (i !== -1) return { stars, start: i, end: i + word.length }
  }
  const m = STARS.exec(s)
  if (!m) return undefined
  const at = { start: m.index, end: m.index + m[0].length }
  if (m[1] === undefined) return { stars: m[0].replace(/[^★⭐]/g, '').length as Stars, ...at }
  return { stars: CHINESE_DIGIT[m[1]] ?? (Number(m[1]) as Stars), ...at }
}

function matchRequest(rest: View, s: string): ParseResult | undefined {
  const start = s.search(/[\p{L}\p{N}]/u)
  if (start === -1 || codePointLength(s) > REQUEST_LINE_MAX) return undefined
  const phrase = requests.find((p) => s.startsWith(p, start))
  if (phrase === undefined) return undefined
  const body = withoutFillers(s.slice(start + phrase.length))
  if (notRequests.some((w) => body.includes(w))) return undefined
  const sure = needs.some((w) => body.includes(w))
  if (!sure && !calls.some((w) => body.includes(w))) return undefined
  const text = cleanText(rest, 0)
  if (codePointLength(text) > limits.text) return undefined
  return command({ intent: 'order', verb: '请求', text }, sure ? 'sure' : 'unsure')
}

function limit(text: string): string {
  return [...text].slice(0, limits.text).join('')
}
