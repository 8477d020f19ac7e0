/**
 * 三率 per unit and tier over a period — 响应率 (accepted within the SLA), 办结率, 满意率 (ratings
 * ≥ 4) — ranked within each tier, with the chart drawn by the app and a CSV of the same rows;
 * beside them, the member's latest notices with their reach per tier.
 * The numbers are `serviceRates`' (orders/service-rates.ts), the ones `quanqun orders rates`
 * prints; a member sees only the subtrees of their own roles.
 */
import type { Context } from 'hono'
import { Hono } from 'hono'
import { raw } from 'hono/html'
import { AUTHOR_ROLES } from '../../broadcasts/authorize.ts'
import { noticeCode } from '../../broadcasts/notice-code.ts'
import { noticeProgress, visibleNotices } from '../../broadcasts/notice-store.ts'
import { excerpt } from '../../broadcasts/templates.ts'
import { localDay, parseLocalTime } from '../../core/local-time.ts'
import type { Services } from '../../core/services.ts'
import { grantsFor, isWithin } from '../../network/permissions.ts'
import { TIER_LABELS } from '../../network/templates.ts'
import { renderRatesChart } from '../../orders/rates-chart.ts'
import { ratesCsv, ratesTable, serviceRates } from '../../orders/service-rates.ts'
import { ratesTexts } from '../../orders/templates.ts'
import { staffOf, type WebEnv } from '../auth.ts'
import { Page } from '../layout.tsx'

const DAY_MS = 86_400_000
/** The default period: the last 30 days, today included. */
const DEFAULT_DAYS = 30
/** A longer period is a typo or a very slow page. */
const MAX_DAYS = 366

interface RatesFilter {
  unitPath: string
  /** Local days, YYYY-MM-DD, both included. */
  from: string
  to: string
  start: Date
  end: Date
}

/** The member's units, broadest first. */
function scopesOf(c: Context<WebEnv>): string[] {
  const paths = [...new Set(staffOf(c).member.grants.map((g) => g.unitPath))]
  return paths.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
}

/** The query as a filter; undefined for a unit outside the member's roles or a bad period. */
function parseFilter(c: Context<WebEnv>, services: Services): RatesFilter | undefined {
  const scopes = scopesOf(c)
  const unit = (c.req.query('unit') ?? '').slice(0, 500)
  if (unit !== '' && !scopes.some((s) => isWithin(unit, s))) return undefined
  const today = localDay(services.now(), services.timezone)
  const day = (name: string, fallback: string) => {
    const value = (c.req.query(name) ?? '').slice(0, 10)
    return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : fallback
  }
  const to = day('to', today)
  const from = day(
    'from',
    localDay(new Date(services.now().getTime() - (DEFAULT_DAYS - 1) * DAY_MS), services.timezone),
  )
  const start = parseLocalTime(from, services.timezone)
  const last = parseLocalTime(to, services.timezone)
  if (!start || !last) return undefined
  const end = new Date(last.getTime() + DAY_MS)
  if (end <= start || end.getTime() - start.getTime() > MAX_DAYS * DAY_MS) return undefined
  return { unitPath: unit || scopes[0] || '', from, to, start, end }
}

const refused = (c: Context<WebEnv>) =>
  c.html(
    <Page title="三率" staff={staffOf(c)}>
      <p class="error">单位不在您的管辖范围内，或统计期有误（至多 {MAX_DAYS} 天）。</p>
    </Page>,
    404,
  )

/** How many of the latest notices the page shows with their reach. */
const RECENT_NOTICES = 10

/** The member's latest sent notices (as the notice list shows them) with their reach per tier. */
async function recentReach(services: Services, c: Context<WebEnv>) {
  const { member } = staffOf(c)
  const sent = (
    await visibleNotices(services.db, {
      memberId: member.id,
      ref: member.wechatId,
      authorPaths: grantsFor(member.grants, AUTHOR_ROLES).map((g) => g.unitPath),
    })
  )
    .filter((n) => n.status === 'confirmed' || n.status === 'done')
    .slice(0, RECENT_NOTICES)
  return Promise.all(
    sent.map(async (n) => ({ notice: n, progress: await noticeProgress(services.db, n.id) })),
  )
}

export function ratesRoutes(services: Services) {
  const app = new Hono<WebEnv>()
  const rowsOf = (f: RatesFilter) =>
    serviceRates(services.db, {
      unitPath: f.unitPath,
      from: f.start,
      to: f.end,
      ...(services.orders?.slaScale === undefined ? {} : { slaScale: services.orders.slaScale }),
    })

  app.get('/', async (c) => {
    const f = parseFilter(c, services)
    if (!f) return refused(c)
    const [rows, reach] = await Promise.all([rowsOf(f), recentReach(services, c)])
    const table = ratesTable(rows)
    const query = new URLSearchParams({ unit: f.unitPath, from: f.from, to: f.to }).toString()
    return c.html(
      <Page title="三率" staff={staffOf(c)}>
        <form method="get" action="/rates" class="filters">
          <label>
            单位
            <select name="unit">
              {scopesOf(c).map((s) => (
                <option value={s} selected={s === f.unitPath}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            从 <input type="date" name="from" value={f.from} />
          </label>
          <label>
            到 <input type="date" name="to" value={f.to} />
          </label>
          <button type="submit">查看</button>
          <a href={`/rates/export.csv?${query}`}>导出 CSV</a>
        </form>
        <p>{ratesTexts.period(f.from, f.to)}</p>
        <div class="chart">{raw(renderRatesChart(rows))}</div>
        <h2>近期通知的送达</h2>
        {reach.length === 0 ? (
          <p>暂无已发布的通知。</p>
        ) : (
          <table class="reach">
            <thead>
              <tr>
                <th>通知</th>
                <th>范围</th>
                <th>内容</th>
                <th>各层级送达</th>
              </tr>
            </thead>
            <tbody>
              {reach.map(({ notice, progress }) => (
                <tr data-notice={noticeCode(notice.id)}>
                  <td>
                    <a href={`/notices/${notice.id}`}>{noticeCode(notice.id)}</a>
                  </td>
                  <td>{notice.scopePath}</td>
                  <td>{excerpt(notice.text, 20)}</td>
                  <td>
                    {progress.tiers
                      .map((t) => `${TIER_LABELS[t.tier]} ${t.sent}/${t.total}`)
                      .join('、')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>三率排名</h2>
        <table class="rates">
          <thead>
            <tr>
              {table.headers.map((h) => (
                <th>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr data-unit={r.path}>
                {table.rows[i]!.map((cell) => (
                  <td>{String(cell)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </Page>,
    )
  })

  app.get('/export.csv', async (c) => {
    const f = parseFilter(c, services)
    if (!f) return refused(c)
    return c.body(ratesCsv(await rowsOf(f)), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="rates-${f.from}-${f.to}.csv"`,
    })
  })
  return app
}
