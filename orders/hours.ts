/**
 * Volunteer hours from a 完成 note, pure: "用时2小时", "1.5h", "两个小时", "一个半小时", "90分钟",
 * "半小时". Undefined when the note names no duration; the catalogue's hours apply then.
 */

const DIGITS: Readonly<Record<string, number>> = {
  零: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  十: 10,
}

/** "3", "2.5", "两", "十二", "二十" → a number; undefined when it is not one. */
function numberOf(word: string): number | undefined {
  if (/^\d+(?:\.\d+)?$/.test(word)) return Number(word)
  if (word === '十') return 10
  const m = /^([一二两三四五六七八九])?十([一二三四五六七八九])?$/.exec(word)
  if (m) return (m[1] ? DIGITS[m[1]]! : 1) * 10 + (m[2] ? DIGITS[m[2]]! : 0)
  return word.length === 1 ? DIGITS[word] : undefined
}

const NUM = '(\\d+(?:\\.\\d+)?|[一二两三四五六七八九十]{1,3})'
const HOURS = new RegExp(`${NUM}\\s*(?:个)?(半)?\\s*(?:小时|钟头|h(?:ours?|rs?)?)(半)?`, 'i')
// Only 分钟/min: a bare 分 is as often a score ("5分") as a duration.
const MINUTES = new RegExp(`${NUM}\\s*(?:分钟|min(?:utes?|s)?)`, 'i')

/** A day's work at most: a typo like "用时200小时" must not mint a fortune in points. */
const MAX_HOURS_PER_ORDER = 24

export function hoursFromNote(note: string | undefined | null): number | undefined {
  if (!note) return undefined
  const text = note.normalize('NFKC').slice(0, 200)
  let hours: number | undefined
  const h = HOURS.exec(text)
  if (h) {
    const n = numberOf(h[1]!)
    if (n !== undefined) hours = n + (h[2] || h[3] ? 0.5 : 0)
  } else if (/半\s*(?:个)?\s*(?:小时|钟头)/.test(text)) {
    hours = 0.5
  }
  const m = MINUTES.exec(text)
  if (m) {
    const n = numberOf(m[1]!)
    if (n !== undefined) hours = (hours ?? 0) + n / 60
  }
  if (hours === undefined || !Number.isFinite(hours) || hours <= 0) return undefined
  // Quarter hours are as fine as a volunteer's card records.
  return Math.min(MAX_HOURS_PER_ORDER, Math.round(hours * 4) / 4)
}
