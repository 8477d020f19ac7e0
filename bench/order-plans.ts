// The hot order queries' plans on a district holding a year of orders (1,000,000 by default): each
// is run through the product's own function on a connection that has PostgreSQL's auto_explain
// log every plan (ANALYZE, BUFFERS) to the client as a NOTICE, so what is checked is the
// statement the product sends, prepared as it prepares it, not a copy of its SQL.
// BENCH_PLANS=dir writes each query's plans there (JSON, one file per query).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { and, asc, eq, inArray, like } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import type { Db } from '../db/client.ts'
import { preparing } from '../db/prepared.ts'
import * as schema from '../db/schema/index.ts'
import { units } from '../db/schema/network.ts'
import { orders } from '../db/schema/orders.ts'
import { loadCatalog } from '../orders/catalogue.ts'
import { residentOrders } from '../orders/order-privacy.ts'
import {
  assignedOpenOrders,
  findOrders,
  listOrders,
  openOrdersWithPaths,
  overdueSteps,
  unassignedOpenOrders,
} from '../orders/order-queries.ts'
import { serviceRates } from '../orders/service-rates.ts'
import { OPEN_ORDER_STATUSES } from '../orders/state-machine.ts'
import type { ScratchDatabase } from '../test/support/scratch-db.ts'
import { type BenchRow, fmt, median } from './support.ts'

/** Tables that grow with the orders and the notices: a sequential scan of one is a miss. */
const BIG_TABLES = ['orders', 'order_events', 'deliveries']
/** Residents placing the orders: five orders each over the year. */
const RESIDENTS_PER_ORDER = 0.2
/** The newest orders are still open (placed … escalated): 0.5 %, about two days' worth. */
const OPEN_SHARE = 0.005
/** Runs of each query: the first also warms the caches and prepares the statement. */
const RUNS = 3
/** A statement slower than this is cancelled and its query reported missed; one run is enough. */
const TIMEOUT_MS = 60_000
/** A query this slow is not run again. */
const SLOW_MS = 5_000

/**
 * A year of orders, oldest first, spread round-robin over the district's residents' groups,
 * categories and members, each with the events its status implies (placed; accepted; done), in a
 * few set-based statements. Closed orders are rated or cancelled; the newest are open, most of
 * them past their due time (the sweep's work), and done ones awaiting a rating.
 */
async function seedOrders(url: string, count: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const n = Math.floor(count)
    const residents = Math.max(1, Math.round(n * RESIDENTS_PER_ORDER))
    const open = Math.max(1, Math.round(n * OPEN_SHARE))
    const statuses = `array[${OPEN_ORDER_STATUSES.map((s) => `'${s}'`).join(', ')}, 'done']`
    // A bulk load: the rows are built from the tables they reference (no foreign-key triggers),
    // and the secondary indexes are built once at the end, as a restore does, not row by row.
    const indexes = await sql<{ name: string; def: string }[]>`
      select indexname as name, indexdef as def from pg_indexes
      where schemaname = 'public' and tablename in ('orders', 'order_events')
        and indexname not like '%_pkey'`
    await sql.unsafe(`
      set session_replication_role = replica;
      set maintenance_work_mem = '256MB';
      ${indexes.map((i) => `drop index "${i.name}";`).join('\n')}
    `)
    await sql.unsafe(`
      create temp table seed_groups as
        select (row_number() over (order by g.id) - 1)::int as i, g.id as group_id,
          u.id as unit_id, coalesce(h.id, u.id) as handling_unit_id
        from groups g
        join units u on u.id = g.unit_id
        -- Handled where the routing sends most: the grid for a building's residents.
        left join units h
          on h.path = array_to_string((string_to_array(u.path, '/'))[1:least(u.tier, 4)], '/')
        where g.kind = 'residents';
      create temp table seed_cats as
        select (row_number() over (order by id) - 1)::int as i, id, accept_sla_minutes,
          complete_sla_minutes
        from service_catalog;
      create temp table seed_members as
        select (row_number() over (order by id) - 1)::int as i, id from members;
    `)
    const [sizes] = await sql<{ g: number; c: number; m: number }[]>`
      select (select count(*) from seed_groups)::int as g, (select count(*) from seed_cats)::int as c,
        (select count(*) from seed_members)::int as m`
    if (!sizes?.g || !sizes.c || !sizes.m) throw new Error('seed: no groups, categories or members')
    await sql.unsafe(`
      insert into orders (code, resident_ref, resident_name, group_id, unit_id, category_id, text,
        status, handling_unit_id, assignee_member_id, rating, due_at, created_at, updated_at)
      select 'Z' || lpad(k::text, 7, '0'), 'wxid_res' || (k % ${residents}), '居民' || (k % ${residents}),
        g.group_id, g.unit_id, c.id, '点单 ' || k || ' 楼道灯坏了，麻烦来看看', s.status,
        g.handling_unit_id,
        case when s.status in ('placed', 'returned', 'escalated') then null else m.id end,
        case when s.status = 'rated' and k % 3 > 0 then 1 + k % 5 end,
        case
          when s.status in ('placed', 'dispatched', 'returned', 'escalated')
            then t.at + make_interval(mins => c.accept_sla_minutes)
          when s.status = 'accepted' then t.at + make_interval(mins => c.complete_sla_minutes)
          when s.status = 'done' then t.at + interval '3 days'
        end,
        t.at, t.at
      from generate_series(1, ${n}) k
      cross join lateral (
        select now() - (${n} - k) * (interval '365 days' / ${n}) as at
      ) t
      join seed_groups g on g.i = k % ${sizes.g}
      join seed_cats c on c.i = k % ${sizes.c}
      join seed_members m on m.i = k % ${sizes.m}
      cross join lateral (
        select case
          when k > ${n - open} then (${statuses})[1 + k % ${OPEN_ORDER_STATUSES.length + 1}]
          when k % 20 = 0 then 'cancelled'
          else 'rated'
        end as status
      ) s;
      insert into order_events (order_id, at, type, from_status, to_status, actor_ref, unit_id)
        select id, created_at, 'placed', null, 'placed', resident_ref, unit_id from orders
        union all
        select id, created_at + interval '20 minutes', 'accepted', 'dispatched', 'accepted', 'seed',
          handling_unit_id
        from orders where status in ('accepted', 'done', 'rated')
        union all
        select id, created_at + interval '1 day', 'done', 'accepted', 'done', 'seed',
          handling_unit_id
        from orders where status in ('done', 'rated');
    `)
    for (const i of indexes) await sql.unsafe(i.def)
    await sql.unsafe('reset session_replication_role')
    // As autovacuum leaves a table that has settled: statistics and the visibility map.
    await sql.unsafe('vacuum analyze orders')
    await sql.unsafe('vacuum analyze order_events')
  } finally {
    await sql.end({ timeout: 5 })
  }
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  Plans?: PlanNode[]
}

/** Every plan's scans of tables, as "Seq Scan orders" / "Index Scan orders_due_idx". */
function scansOf(node: PlanNode, into: string[] = []): string[] {
  // postgres.js reads pg_type once per connection: not the product's.
  if (node['Relation Name'] && !node['Relation Name'].startsWith('pg_')) {
    into.push(`${node['Node Type']} ${node['Index Name'] ?? node['Relation Name']}`)
    if (node['Node Type'].includes('Seq Scan')) into.push(`!${node['Relation Name']}`)
  }
  for (const child of node.Plans ?? []) scansOf(child, into)
  return into
}

interface Explained {
  ms: number
  scans: string[]
  /** The notices as they came: duration and JSON plan of each statement. */
  plans: string[]
}

/**
 * A client whose every statement's plan comes back as a NOTICE (auto_explain at log level
 * notice, set as start-up parameters so a reconnect keeps them), and a way to read the plans of
 * what one call ran.
 */
function explainingClient(url: string) {
  const notices: string[] = []
  const sql = postgres(url, {
    max: 1,
    onnotice: (n) => notices.push(String(n.message ?? '')),
    connection: {
      session_preload_libraries: 'auto_explain',
      'auto_explain.log_min_duration': '0',
      'auto_explain.log_analyze': 'on',
      'auto_explain.log_buffers': 'on',
      'auto_explain.log_format': 'json',
      'auto_explain.log_level': 'notice',
      statement_timeout: String(TIMEOUT_MS),
    } as Record<string, string>,
  })
  const db = drizzle(preparing(sql), { schema }) as unknown as Db
  return {
    db,
    async explain(fn: (db: Db) => Promise<unknown>): Promise<Explained> {
      notices.length = 0
      await fn(db)
      let ms = 0
      const scans: string[] = []
      const plans = [...notices]
      for (const message of plans) {
        const at = message.indexOf('{')
        const duration = /duration: ([\d.]+) ms/.exec(message)?.[1]
        if (at < 0 || duration === undefined) continue
        ms += Number(duration)
        const { Plan } = JSON.parse(message.slice(at)) as { Plan: PlanNode }
        scansOf(Plan, scans)
      }
      return { ms, scans, plans }
    },
    close: () => sql.end({ timeout: 5 }),
  }
}

/**
 * Seeds `count` orders into the district, then runs each hot query RUNS times (the first warms the
 * caches and the prepared statement) and reports the median server time of its statements and
 * the scans of its plans.
 */
export async function benchOrderPlans(
  district: ScratchDatabase,
  count: number,
): Promise<BenchRow[]> {
  await loadCatalog(district.db)
  const seeded = performance.now()
  await seedOrders(district.url, count)
  const seedS = (performance.now() - seeded) / 1000
  process.stderr.write(`  orders: ${fmt(count)} seeded in ${seedS.toFixed(0)} s\n`)

  const { db } = district
  const under = async (tier: number, prefix: string) => {
    const [unit] = await db
      .select({ path: units.path })
      .from(units)
      .where(and(eq(units.tier, tier), like(units.path, `${prefix}/%`)))
      .orderBy(asc(units.id))
      .limit(1)
    if (!unit) throw new Error(`no tier-${tier} unit under ${prefix}`)
    return unit.path
  }
  const root = '九龙坡区'
  const township = `${root}/石桥铺街道`
  const community = await under(3, township)
  const grid = await under(4, community)
  const [assigned] = await db
    .select({ member: orders.assigneeMemberId })
    .from(orders)
    .where(inArray(orders.status, ['dispatched', 'accepted']))
    .limit(1)
  const memberId = assigned?.member ?? 0
  const resident = 'wxid_res123'
  const now = new Date()
  const monthAgo = new Date(now.getTime() - 30 * 86_400_000)

  const queries: { name: string; run: (db: Db) => Promise<unknown> }[] = [
    {
      name: 'open orders under a township (orders list --unit)',
      run: (d) => listOrders(d, { unitPath: township, now }),
    },
    {
      name: 'all orders under a community, oldest 500 (orders list --all --unit)',
      run: (d) => listOrders(d, { unitPath: community, all: true, now }),
    },
    {
      name: "我的任务, a grid's unassigned open orders",
      run: (d) => unassignedOpenOrders(d, [grid], 10),
    },
    {
      name: "我的任务, a worker's assigned orders",
      run: (d) => assignedOpenOrders(d, memberId, 10),
    },
    {
      name: 'Open311 list, newest 50 placed under a township',
      run: (d) => findOrders(d, { placedUnder: township, limit: 50 }),
    },
    { name: 'overdue scan, the SLA sweep (1,000)', run: (d) => overdueSteps(d, now, 1_000) },
    {
      name: 'overdue list (status, orders list --overdue)',
      run: (d) => listOrders(d, { overdue: true, now, limit: 10 }),
    },
    { name: 'the digest: every open order', run: (d) => openOrdersWithPaths(d) },
    { name: "a resident's orders (privacy export)", run: (d) => residentOrders(d, resident) },
    {
      name: '三率 of the district, last 30 days',
      run: (d) => serviceRates(d, { unitPath: root, from: monthAgo, to: now }),
    },
  ]

  const client = explainingClient(district.url)
  try {
    const rows: BenchRow[] = []
    for (const q of queries) {
      const runs: Explained[] = []
      let failed: string | undefined
      for (let i = 0; i < RUNS && !failed; i++) {
        const t0 = performance.now()
        try {
          runs.push(await client.explain(q.run))
        } catch (error) {
          failed = error instanceof Error ? error.message : String(error)
        }
        if (performance.now() - t0 > SLOW_MS) break
      }
      if (failed) {
        process.stderr.write(`  plan: ${q.name}: ${failed}\n`)
        rows.push({
          bench: 'city',
          metric: `${fmt(count)} orders: ${q.name}; ${failed}`,
          quanqun: `> ${fmt(TIMEOUT_MS)} ms`,
          baseline: '',
          ratio: '',
          target: 'no seq scan of orders, order_events, deliveries',
          met: false,
        })
        continue
      }
      const scans = [...new Set(runs.flatMap((r) => r.scans))]
      const seq = BIG_TABLES.filter((t) => scans.includes(`!${t}`))
      const shown = scans.filter((s) => !s.startsWith('!'))
      process.stderr.write(`  plan: ${q.name}: ${shown.join(', ')}\n`)
      const dir = process.env.BENCH_PLANS
      if (dir) {
        await mkdir(dir, { recursive: true })
        await writeFile(
          join(dir, `${rows.length + 1}.txt`),
          `${q.name}\n${runs.at(-1)!.plans.join('\n')}`,
        )
      }
      rows.push({
        bench: 'city',
        metric: `${fmt(count)} orders: ${q.name}; ${shown.join(', ')}`,
        quanqun: `${median(runs.map((r) => r.ms)).toFixed(1)} ms`,
        baseline: '',
        ratio: '',
        target: 'no seq scan of orders, order_events, deliveries',
        met: seq.length === 0,
      })
    }
    return rows
  } finally {
    await client.close()
  }
}
