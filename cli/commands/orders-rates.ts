import { writeFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { formatLocalTime, parseLocalTime } from '../../core/local-time.ts'
import { renderRatesChart } from '../../orders/rates-chart.ts'
import { percent, ratesTable, serviceRates } from '../../orders/service-rates.ts'
import { ratesTexts } from '../../orders/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { writeTable } from '../table-file.ts'
import { unitFlag } from '../unit-flag.ts'
import { withDatabase } from '../with-database.ts'

const DAY_MS = 24 * 3600_000
/** Without --from: the last 30 days. */
const DEFAULT_DAYS = 30
const DATE_ONLY = /^\s*\d{4}-\d{1,2}-\d{1,2}\s*$/

function dateFlag(flags: Record<string, string | true>, name: string, zone: string) {
  const value = flags[name]
  if (value === undefined) return undefined
  if (value === true) throw new UsageError(ratesTexts.usage)
  const at = parseLocalTime(value, zone)
  if (!at) throw new UsageError(ratesTexts.badDate(name, value))
  // "--to 2025-06-30" means through that day: the period ends at the next midnight.
  return name === 'to' && DATE_ONLY.test(value) ? new Date(at.getTime() + DAY_MS) : at
}

function tiersFlag(value: string | true | undefined): number[] | undefined {
  if (value === undefined) return undefined
  const text = value === true ? '' : value
  const tiers = text.split(/[,，]/).map((t) => Number(t.trim()))
  if (tiers.length === 0 || tiers.some((t) => !Number.isInteger(t) || t < 1 || t > 5)) {
    throw new UsageError(ratesTexts.badTier(text))
  }
  return tiers
}

export const ordersRates: CliCommand = {
  name: 'orders rates',
  usage:
    'orders rates [--unit <路径>] [--from 日期] [--to 日期] [--tier 1,2,3,4] [--out 三率.csv|.xlsx|.svg]',
  summary: '三率排名：各单位（含下级）的响应率、办结率、满意率，默认近 30 天、区到网格',
  options: {
    unit: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    tier: { type: 'string' },
    out: { type: 'string' },
  },
  async run({ args, flags, config, out }) {
    if (args.length > 0 || flags.unit === true || flags.out === true) {
      throw new UsageError(ratesTexts.usage)
    }
    const zone = config.timezone
    const to = dateFlag(flags, 'to', zone) ?? new Date()
    const from = dateFlag(flags, 'from', zone) ?? new Date(to.getTime() - DEFAULT_DAYS * DAY_MS)
    if (from.getTime() >= to.getTime()) throw new UsageError(ratesTexts.badRange)
    const tiers = tiersFlag(flags.tier)
    return withDatabase(config, async ({ db }) => {
      const unit = await unitFlag(db, flags.unit, out)
      if (!unit.ok) return 1
      const { unitPath } = unit
      const rows = await serviceRates(db, {
        from,
        to,
        ...(unitPath ? { unitPath } : {}),
        ...(tiers ? { tiers } : {}),
      })
      out(ratesTexts.period(formatLocalTime(from, zone), formatLocalTime(to, zone)))
      if (rows.length === 0) {
        out(ratesTexts.none)
        return 0
      }
      const file = flags.out
      if (typeof file === 'string') {
        if (extname(file).toLowerCase() === '.svg') await writeFile(file, renderRatesChart(rows))
        else await writeTable(file, { sheet: '三率', ...ratesTable(rows) })
        out(ratesTexts.written(file, rows.length))
        return 0
      }
      for (const r of rows) {
        out(
          ratesTexts.line({
            ...r,
            tier: ratesTexts.tierName(r.tier),
            response: percent(r.responseRate),
            completion: percent(r.completionRate),
            satisfaction: percent(r.satisfactionRate),
          }),
        )
      }
      return 0
    })
  },
}
