/**
 * 核验: does a text a resident was forwarded match an official notice? Pure. A forward is often
 * re-typed, re-punctuated or stripped of its signature, so "near" is allowed; a rumour is often
 * an official notice with the date, time or amount changed, or a real notice's code pasted under
 * made-up text, so the numbers must agree exactly and the code alone proves nothing.
 */
import { SIGNATURE_MARK } from './signature.ts'

/** An official notice as it was sent (signature included). */
export interface OfficialText {
  id: number
  text: string
}

export type NoticeMatch = { kind: 'exact' | 'near'; id: number }

/** Edits allowed for a near copy: a few characters, or one in eight of a long text. */
const NEAR_SHARE = 1 / 8
const NEAR_MIN = 3
/** A forward longer than this is compared by its head: notices are capped well below it. */
const MAX_COMPARE = 2_100

/** Every number written in digits or Chinese numerals, in order: dates, times, amounts, phones. */
const NUMBER =
  /[0-9]+|[零〇一二两三四五六七八九十百千万亿]*[零〇二两三四五六七八九十百千万亿][零〇一二两三四五六七八九十百千万亿]*/gu

/**
 * What two copies must share: NFKC, the signature line gone, no whitespace, punctuation, symbols
 * or emoji, lower case. "本周六 9:00，请准时参加！" and "本周六9:00请准时参加" compare equal.
 */
export function comparable(text: string): string {
  const folded = text.normalize('NFKC')
  const mark = folded.lastIndexOf(SIGNATURE_MARK)
  const body = mark >= 0 ? folded.slice(0, mark) : folded
  return [...body.toLowerCase().replace(/[\s\p{P}\p{S}\p{Cf}]+/gu, '')]
    .slice(0, MAX_COMPARE)
    .join('')
}

/**
 * The numbers of a comparable text. A lone 一 is left out: it is a word far more often than a
 * number ("一起", "统一"), and a changed date or amount almost always changes another numeral.
 */
function numbersOf(text: string): string {
  return (text.match(NUMBER) ?? []).join(',')
}

/**
 * The notice `claim` is a copy of: exact (equal once compared), near (a few characters apart,
 * numbers identical), or none. The closest wins; a tie goes to the newest (listed first).
 */
export function matchNotice(
  claim: string,
  officials: readonly OfficialText[],
): NoticeMatch | undefined {
  const wanted = comparable(claim)
  if (wanted.length < 4) return undefined
  const wantedChars = [...wanted]
  const wantedNumbers = numbersOf(wanted)
  let best: { id: number; distance: number } | undefined
  for (const official of officials) {
    const candidate = comparable(official.text)
    if (candidate === wanted) return { kind: 'exact', id: official.id }
    const chars = [...candidate]
    const budget = Math.max(
      NEAR_MIN,
      Math.floor(Math.max(chars.length, wantedChars.length) * NEAR_SHARE),
    )
    if (Math.abs(chars.length - wantedChars.length) > budget) continue
    if (numbersOf(candidate) !== wantedNumbers) continue
    const distance = boundedDistance(wantedChars, chars, budget)
    if (distance <= budget && (!best || distance < best.distance)) {
      best = { id: official.id, distance }
    }
  }
  return best && { kind: 'near', id: best.id }
}

/**
 * Levenshtein distance of `a` and `b`, or `limit + 1` once it is sure to exceed `limit`. Only the
 * band of width 2·limit+1 around the diagonal is filled, and a pair that differs throughout stops
 * once a whole row is over the limit (after about `limit` rows), so an unrelated 2,000-character
 * forward costs ~125k cells per notice, not 4M.
 */
export function boundedDistance(a: readonly string[], b: readonly string[], limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  const over = limit + 1
  let previous = new Array<number>(b.length + 1).fill(over)
  let current = new Array<number>(b.length + 1).fill(over)
  for (let j = 0; j <= Math.min(b.length, limit); j++) previous[j] = j
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - limit)
    const to = Math.min(b.length, i + limit)
    current.fill(over)
    if (i <= limit) current[0] = i
    let rowMin = current[0]!
    for (let j = from; j <= to; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const value = Math.min(previous[j - 1]! + cost, previous[j]! + 1, current[j - 1]! + 1)
      current[j] = Math.min(value, over)
      if (current[j]! < rowMin) rowMin = current[j]!
    }
    if (rowMin > limit) return over
    ;[previous, current] = [current, previous]
  }
  return Math.min(previous[b.length]!, over)
}
