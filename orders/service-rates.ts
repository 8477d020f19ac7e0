/**
 * 三率 per unit over a period, as 12345 hotlines rank their units: 响应率 (accepted within the
 * accept SLA ÷ placed), 办结率 (done or rated ÷ placed), 满意率 (4 or 5 stars ÷ rated).
 *
 * What counts, decided once here:
 * - An order belongs to the unit it was placed at (the resident's group's unit, `orders.unit_id`),
 *   never to whoever handles it now: an escalation must not move a failure off the grid that let
 *   it climb. A unit's row counts the orders placed anywhere in its subtree, so a township's row
 *   is its communities' orders together (and the rows of one tier add up to the tier above).
 * - The period is when orders were placed, [from, to). Completed and rated are as of now.
 * - Responded: an 接单 (`accepted` event) no later than placement + the category's accept SLA
 *   (× slaScale). A re-dispatch or an escalation does not restart that clock: the resident waited.
 * - Every order placed counts, withdrawn ones too: a resident who gives up waiting is exactly what
 *   响应率 and 办结率 must show.
 * - Rated: any order with stars, a reopened one included (the resident was not satisfied).
 *
 * One statement: period orders are aggregated per unit first (the created_at index), then each
 * unit's figures are added to every unit on its path, then joined to the units ranked.
 */
import { type SQL, sql } from 'drizzle-orm'
import { toCsv } from '../core/csv.ts'
import { intArray } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { rowsOf } from '../db/rows.ts'
import { descendantsPattern, PATH_SEPARATOR } from '../network/names.ts'
import { MAX_TIER } from '../network/types.ts'
import { ratesTexts } from './templates.ts'

export interface RatesQuery {
  /** The subtree ranked (its root included); the whole tree when absent. */
  unitPath?: string
  /** Orders placed in [from, to). */
  from: Date
  to: Date
  /** The tiers whose units get a row: district to grid by default (buildings are residents). */
  tiers?: readonly number[]
  /** The SLA multiplier the orders ran under (services.orders.slaScale; 1 in production). */
  slaScale?: number
}

export interface RateRow {
  unitId: number
  path: string
  name: string
  tier: number
  placed: number
  /** Accepted within the accept SLA. */
  responded: number
  /** Done or rated. */
  completed: number
  rated: number
  /** Rated 4 or 5 stars. */
  satisfied: number
  /** 0..1, or null when nothing was placed (rated, for the satisfaction rate). */
  responseRate: number | null
  completionRate: number | null
  satisfactionRate: number | null
  /** 1 for the best unit of its tier. */
  rank: number
}

const DEFAULT_TIERS = [1, 2, 3, 4] as const

function inSubtree(path: SQL, unitPath: string | undefined): SQL {
  if (unitPath === undefined) return sql`true`
  return sql`(${path} = ${unitPath} or ${path} like ${descendantsPattern(unitPath)})`
}

interface Counted {
  unit_id: number
  path: string
  name: string
  tier: number
  placed: number
  responded: number
  completed: number
  rated: number
  satisfied: number
}

/** Every unit of the chosen tiers in the subtree with its 三率, ranked within its tier. */
export async function serviceRates(db: Db, query: RatesQuery): Promise<RateRow[]> {
  const tiers = intArray([...(query.tiers ?? DEFAULT_TIERS)])
  const scale = query.slaScale ?? 1
  const from = query.from.toISOString()
  const result = await db.execute(sql`
    with accepted as (
      -- Each order's first 接单: an accept comes after its order was placed, so within the period.
      select e.order_id, min(e.at) as at
      from order_events e
      where e.type = 'accepted' and e.at >= ${from}::timestamptz
      group by e.order_id
    ),
    per_unit as (
      select o.unit_id,
        count(*) as placed,
        count(*) filter (
          where a.at <= o.created_at + make_interval(secs => c.accept_sla_minutes * 60 * ${scale}::float8)
        ) as responded,
        count(*) filter (where o.status in ('done', 'rated')) as completed,
        count(o.rating) as rated,
        count(*) filter (where o.rating >= 4) as satisfied
      from orders o
      join units ou on ou.id = o.unit_id
      left join service_catalog c on c.id = o.category_id
      left join accepted a on a.order_id = o.id
      where o.created_at >= ${from}::timestamptz
        and o.created_at < ${query.to.toISOString()}::timestamptz
        and ${inSubtree(sql`ou.path`, query.unitPath)}
      group by o.unit_id
    ),
    rolled as (
      select array_to_string(s.parts[1:n], ${PATH_SEPARATOR}) as path,
        sum(p.placed) as placed, sum(p.responded) as responded, sum(p.completed) as completed,
        sum(p.rated) as rated, sum(p.satisfied) as satisfied
      from per_unit p
      join units u on u.id = p.unit_id
      cross join lateral (select string_to_array(u.path, ${PATH_SEPARATOR}) as parts) s
      -- A constant series (a path has at most MAX_TIER names): the planner then expects 5 rows
      -- per unit, not the 1,000 it assumes of a series it cannot see, which made it pay for JIT.
      -- Only the prefixes of the tiers asked for: a path's n-th prefix is a unit of tier n.
      join generate_series(1, ${MAX_TIER}::int) as n
        on n <= cardinality(s.parts) and n = any(${tiers}::int[])
      group by 1
    )
    select path, placed::int, responded::int, completed::int, rated::int, satisfied::int
    from rolled
  `)
  // The units are read apart and matched here: joined in SQL, the planner misjudged the subtree
  // (a few units expected where a district has thousands) and rescanned the totals once per
  // unit, 4.7 s at 100,000 orders (bench/order-plans.ts).
  const unitRows = await db.execute(sql`
    select u.id as unit_id, u.path, u.name, u.tier
    from units u
    where u.tier = any(${tiers}::int[]) and ${inSubtree(sql`u.path`, query.unitPath)}
  `)
  const totals = new Map(rowsOf<Totals>(result).map((r) => [r.path, r]))
  return rankRates(
    rowsOf<Pick<Counted, 'unit_id' | 'path' | 'name' | 'tier'>>(unitRows).map((u) => {
      const t = totals.get(u.path)
      return {
        ...u,
        placed: t?.placed ?? 0,
        responded: t?.responded ?? 0,
        completed: t?.completed ?? 0,
        rated: t?.rated ?? 0,
        satisfied: t?.satisfied ?? 0,
      }
    }),
  )
}

type Totals = Pick<Counted, 'path' | 'placed' | 'responded' | 'completed' | 'rated' | 'satisfied'>

const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole)

/** The mean of the rates a unit has; null when it has none (nothing placed). */
function composite(r: Pick<RateRow, 'responseRate' | 'completionRate' | 'satisfactionRate'>) {
  const known = [r.responseRate, r.completionRate, r.satisfactionRate].filter(
    (x): x is number => x !== null,
  )
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length
}

/**
 * Rates from counts, ranked within each tier: by the mean of the unit's rates, then by more
 * orders (the same rates over more work), then by path; units without orders last. Tier by tier,
 * district first.
 */
function rankRates(counted: readonly Counted[]): RateRow[] {
  const rows = counted.map((c) => {
    const rates = {
      responseRate: ratio(c.responded, c.placed),
      completionRate: ratio(c.completed, c.placed),
      satisfactionRate: ratio(c.satisfied, c.rated),
    }
    return {
      unitId: c.unit_id,
      path: c.path,
      name: c.name,
      tier: c.tier,
      placed: c.placed,
      responded: c.responded,
      completed: c.completed,
      rated: c.rated,
      satisfied: c.satisfied,
      ...rates,
      score: composite(rates),
      rank: 0,
    }
  })
  rows.sort(
    (a, b) =>
      a.tier - b.tier ||
      (b.score ?? -1) - (a.score ?? -1) ||
      b.placed - a.placed ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  )
  let tier = 0
  let rank = 0
  return rows.map(({ score: _, ...r }) => {
    rank = r.tier === tier ? rank + 1 : 1
    tier = r.tier
    return { ...r, rank }
  })
}

/** "85.7%", or "—" when there is nothing to divide. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`
}

/** The rows as a table: rank, unit, tier, then each rate beside its counts. */
export function ratesTable(rows: readonly RateRow[]): {
  headers: readonly string[]
  rows: (string | number)[][]
} {
  return {
    headers: ratesTexts.headers,
    rows: rows.map((r) => [
      r.rank,
      r.path,
      ratesTexts.tierName(r.tier),
      r.placed,
      r.responded,
      percent(r.responseRate),
      r.completed,
      percent(r.completionRate),
      r.rated,
      r.satisfied,
      percent(r.satisfactionRate),
    ]),
  }
}

/** The rows as CSV for Excel (the dashboard's export and `orders rates --out x.csv`). */
export function ratesCsv(rows: readonly RateRow[]): string {
  const table = ratesTable(rows)
  return toCsv(table.headers, table.rows)
}
