/**
 * Times as staff read and type them: wall-clock time in the district's zone (Asia/Shanghai), not
 * UTC. Pure functions over Intl, so `--at 2025-06-01 09:00` means 9 a.m. in Chongqing whatever
 * zone the server runs in.
 */

function parts(date: Date, timeZone: string): Record<string, number> {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
  const out: Record<string, number> = {}
  for (const p of fmt.formatToParts(date)) if (p.type !== 'literal') out[p.type] = Number(p.value)
  return out
}

/** The zone's offset from UTC at `date`, in ms (Asia/Shanghai: +8 h). */
function zoneOffsetMs(date: Date, timeZone: string): number {
  const p = parts(date, timeZone)
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!)
  return asUtc - Math.floor(date.getTime() / 1000) * 1000
}

const pad = (n: number) => String(n).padStart(2, '0')

/** "2025-06-01 09:00" in the zone. */
export function formatLocalTime(date: Date, timeZone: string): string {
  const p = parts(date, timeZone)
  return `${p.year}-${pad(p.month!)}-${pad(p.day!)} ${pad(p.hour!)}:${pad(p.minute!)}`
}

const dayFormats = new Map<string, Intl.DateTimeFormat>()

/**
 * The calendar day of `at` in the zone, "2025-06-01": what a day means to staff and residents
 * (a digest's identity, the near-duplicate rule of 点单). One formatter per zone, made once: the
 * intake asks for every order of a batch.
 */
export function localDay(at: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone)
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })
    dayFormats.set(timeZone, format)
  }
  return format.format(at)
}

const LOCAL = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i

/**
 * An ISO 8601 time with a zone ("2025-06-01T09:00+08:00", "…Z") as written, or a local one
 * ("2025-06-01 09:00", "2025-06-01T09:00", "2025-06-01" = midnight) read in `timeZone`.
 * Undefined when it is not a real time (2025-02-30 included).
 */
export function parseLocalTime(text: string, timeZone: string): Date | undefined {
  const s = text.normalize('NFKC').trim()
  if (HAS_ZONE.test(s)) {
    const d = new Date(s)
    return Number.isNaN(d.getTime()) ? undefined : d
  }
  const m = LOCAL.exec(s)
  if (!m) return undefined
  const [y, mo, d, h = 0, mi = 0, se = 0] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)))
  const wall = Date.UTC(y!, mo! - 1, d!, h, mi, se)
  const check = new Date(wall)
  if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d! || h > 23) return undefined
  // The offset at the wall time read as UTC is right except within hours of a DST switch; a
  // second pass settles it (China has no DST, the rest of the world is handled anyway).
  const first = wall - zoneOffsetMs(new Date(wall), timeZone)
  return new Date(wall - zoneOffsetMs(new Date(first), timeZone))
}
