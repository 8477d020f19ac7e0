/**
 * "活动时间 12月20日 9:00" in a notice: when the event it announces starts, read in the district's
 * zone. Pure. Staff write dates as people do — 12月20日（周六）上午9点, 12月20号 14:30, 2026年1月3日
 * 9:00 — so the common shapes are read and anything else is left alone (no reminders, no guess).
 */
import { parseLocalTime } from '../core/local-time.ts'

const LABEL = /活动时间\s*[:：]?\s*/u
const DATE =
  /^(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]\s*(?:[（(][^）)]{0,6}[）)]\s*)?(?:周[一二三四五六日天]\s*)?(上午|早上|中午|下午|晚上)?\s*(\d{1,2})(?:\s*[:：点时]\s*(半|\d{1,2})?\s*分?)?/u

/** Later than this after the event's day, a date without a year is taken for next year's. */
const YEAR_ROLLOVER_DAYS = 60

/**
 * The event time named after 活动时间 in `text`, or undefined when there is none or it is not a
 * real time. A date without a year is this year's, or next year's when it is long past (a
 * notice in December about 1月3日).
 */
export function eventTimeIn(text: string, now: Date, timeZone: string): Date | undefined {
  const folded = text.normalize('NFKC')
  const label = LABEL.exec(folded)
  if (!label) return undefined
  const rest = folded.slice(label.index + label[0].length, label.index + label[0].length + 60)
  const iso = /^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}/.exec(rest)
  if (iso) return parseLocalTime(iso[0], timeZone)
  const m = DATE.exec(rest)
  if (!m) return undefined
  const [, year, month, day, part, hourText, minuteText] = m
  let hour = Number(hourText)
  if ((part === '下午' || part === '晚上') && hour < 12) hour += 12
  if (part === '中午' && hour < 11) hour += 12
  const minute = minuteText === '半' ? 30 : Number(minuteText ?? 0)
  if (hour > 23 || minute > 59) return undefined
  const wall = (y: number) =>
    parseLocalTime(
      `${y}-${month}-${day} ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
      timeZone,
    )
  if (year) return wall(Number(year))
  const thisYear = Number(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric' }).format(now),
  )
  const guess = wall(thisYear)
  if (guess && now.getTime() - guess.getTime() > YEAR_ROLLOVER_DAYS * 86_400_000) {
    return wall(thisYear + 1)
  }
  return guess
}
