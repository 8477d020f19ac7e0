// The staff console's pages on the 11,181-group district with 100,000 orders: p95 of each page as
// a district propagandist and admin opens it (the order board, 三率, the compose form's per-tier
// counts, a district notice's preview), beside the app serving its stylesheet — the floor of a
// request through the same server, session check and middleware.
import { performance } from 'node:perf_hooks'
import { sql } from 'drizzle-orm'
import { createNotice } from '../broadcasts/create-notice.ts'
import type { Services } from '../core/services.ts'
import { issueLoginLink } from '../network/login-links.ts'
import { findMemberByWechatId } from '../network/roles.ts'
import { loadCatalog } from '../orders/catalogue.ts'
import { createTestRedis } from '../test/support/redis.ts'
import { testServices } from '../test/support/sample-services.ts'
import { createWebApp } from '../web/app.ts'
import { startWebServer } from '../web/server.ts'
import { openSession } from '../web/sessions.ts'
import { generatedDistrict } from './district.ts'
import { type BenchRow, fmt, percentile } from './support.ts'

const ORDERS = 100_000
const ROUNDS = 30
const WARM_UP = 3
const TARGET_MS = 200
const PACING = {
  perMinute: 30,
  minGapMs: 1500,
  jitterMs: 1000,
  roomGapMs: 3000,
  cooldownMs: 600_000,
}

/** 100,000 orders over the last 120 days in the district's residents' groups, in one statement. */
async function seedOrders(services: Services): Promise<void> {
  await services.db.execute(sql`
    with g as (
      select row_number() over (order by g.id) as n, g.id, g.unit_id
      from groups g where g.kind = 'residents'
    ), cats as (
      select row_number() over (order by id) as n, id from service_catalog
    ), total as (select count(*) as groups, (select count(*) from cats) as cats from g)
    insert into orders (code, resident_ref, resident_name, group_id, unit_id, category_id, text,
                        status, handling_unit_id, due_at, created_at, updated_at)
    select 'B' || lpad(i::text, 6, '0'), 'wxid_bench_' || (i % 20000), '居民', g.id, g.unit_id,
           cats.id, '楼道灯坏了好几天了，麻烦来看看',
           (array['dispatched','accepted','done','rated','rated'])[1 + i % 5],
           g.unit_id, now() + ((i % 7) - 3) * interval '1 hour',
           now() - (i % 120) * interval '1 day', now()
    from generate_series(1, ${ORDERS}) as s(i)
    cross join total
    join g on g.n = 1 + (i % total.groups)
    join cats on cats.n = 1 + (i % total.cats)`)
  await services.db.execute(sql`
    insert into order_events (order_id, at, type, from_status, to_status, actor_ref)
    select id, created_at + interval '20 minutes', 'accepted', 'dispatched', 'accepted', 'bench'
    from orders where status <> 'dispatched'`)
  await services.db.execute(sql`update orders set rating = 3 + id % 3 where status = 'rated'`)
  await services.db.execute(sql`analyze`)
}

export async function benchConsole(): Promise<BenchRow[]> {
  const district = await generatedDistrict()
  const redis = await createTestRedis()
  const services = testServices(district.db, redis.connection, redis.prefix)
  const server = await startWebServer(
    createWebApp(services, { pacing: PACING, secureCookie: false }),
    { host: '127.0.0.1', port: 0 },
  )
  try {
    await loadCatalog(district.db)
    await seedOrders(services)
    // A propagandist of the district's root: the broadest board and 三率 there are.
    const staff = await districtPropagandist(services)
    const link = await issueLoginLink(district.db, {
      memberId: staff.id,
      issuedBy: 'bench',
      consoleUrl: server.url,
      now: new Date(),
    })
    const session = await openSession(
      district.db,
      new URL(link.url).searchParams.get('t') ?? '',
      new Date(),
    )
    if (!session) throw new Error('bench: no console session')
    const cookie = `qq_session=${session.token}`
    const root = staff.grants[0]!.unitPath
    const drafted = await createNotice(services, {
      actor: { kind: 'member', ref: staff.wechatId, member: staff },
      scope: root,
      text: '【区级通知】本周六上午九点，各小区开展环境卫生大扫除。',
    })
    if (!drafted.ok) throw new Error(`bench: ${drafted.message}`)
    const u = encodeURIComponent(root)
    const pages: [string, string][] = [
      ['order board (district, 500 rows)', `/orders?unit=${u}`],
      ['三率 (district, 30 days)', `/rates?unit=${u}`],
      ['compose: per-tier counts as the scope is picked', `/notices/audience?scope=${u}`],
      ['a district notice’s preview', `/notices/${drafted.notice.id}`],
    ]
    const floor = await timed(server.url, '/assets/console.css', cookie)
    const rows: BenchRow[] = []
    for (const [name, path] of pages) {
      const p95 = await timed(server.url, path, cookie)
      rows.push({
        bench: 'console',
        metric: `${name}, p95 ms of ${ROUNDS} (11,181 groups, ${fmt(ORDERS)} orders)`,
        quanqun: p95.toFixed(0),
        baseline: `${floor.toFixed(1)} (the stylesheet, same server)`,
        ratio: (floor / p95).toFixed(3),
        target: `≤ ${TARGET_MS} ms`,
        met: p95 <= TARGET_MS,
      })
    }
    return rows
  } finally {
    await server.close()
    await services.messenger.close()
    await redis.close()
    await district.close()
  }
}

async function districtPropagandist(services: Services) {
  const rows = await services.db.execute<{ wechat_id: string }>(sql`
    select m.wechat_id from members m join roles r on r.member_id = m.id
    join units u on u.id = r.unit_id
    where r.role = 'propagandist' and u.tier = 1 limit 1`)
  const wechatId = (rows as unknown as { wechat_id: string }[])[0]?.wechat_id
  const member = wechatId ? await findMemberByWechatId(services.db, wechatId) : undefined
  if (!member) throw new Error('bench: the generated district has no district propagandist')
  return member
}

/** p95 of `ROUNDS` sequential GETs of `path` after a warm-up; each must answer 200. */
async function timed(base: string, path: string, cookie: string): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < WARM_UP + ROUNDS; i++) {
    const t0 = performance.now()
    const res = await fetch(`${base}${path}`, { headers: { cookie } })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`bench: ${path} answered ${res.status}`)
    if (i >= WARM_UP) times.push(performance.now() - t0)
  }
  return percentile(times, 95)
}
