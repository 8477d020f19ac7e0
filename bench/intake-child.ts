// One process, as `quanqun start` runs it: the generated district on 22 mock accounts with
// quanqun's bots and workers (production pacing: replies are queued, their sending is not waited
// for). Residents say `点单 …` in their rooms at a steady offered rate; the baseline inserts the
// same rows with plain postgres.js at the same rate and pool size. Prints one JSON line
// (IntakeResult).
//
// Knobs (env): BENCH_ORDERS (10,000), BENCH_RATE (1,000/s), BENCH_ROUNDS (3), BENCH_HIGH_RATE
// (2,000/s: one more run of BENCH_ORDERS at that rate after the rounds, 0 for none), BENCH_WARM_UP
// (3,000 messages at the full rate before the rounds), BENCH_PROFILE=dir writes a .cpuprofile per
// quanqun run (with BENCH_HEAP=1 a .heapprofile of its allocations instead, with
// BENCH_HEAP=promoted of those promoted to the old generation), BENCH_TIMELINE=prefix writes
// `<prefix>-<slot>.txt`: per order, when it was sent (ms after the run's start) and its ms to
// commit.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { and, eq, isNotNull, like } from 'drizzle-orm'
import { pino } from 'pino'
import postgres from 'postgres'
import { botWiring } from '../app/bot-wiring.ts'
import { startWorkers } from '../app/workers.ts'
import { startBots } from '../bot/bot-fleet.ts'
import { MockNetwork, type MockPerson } from '../bot/mock-network.ts'
import { MOCK_PUPPET } from '../bot/puppet.ts'
import { loadConfig } from '../core/config.ts'
import { tuneHeap } from '../core/heap.ts'
import { until } from '../core/until.ts'
import { openDatabase } from '../db/client.ts'
import { groups } from '../db/schema/network.ts'
import { orders } from '../db/schema/orders.ts'
import { FALLBACK_CATEGORY, listCategories } from '../orders/catalogue.ts'
import { classify, unsure } from '../orders/classify.ts'
import { createTestRedis } from '../test/support/redis.ts'
import { testServices } from '../test/support/sample-services.ts'
import { bindMockRooms } from './district.ts'
import { cpuSample, cpuSpent, percentile, profiled, steadyRate } from './support.ts'

export interface IntakeRun {
  messages: number
  /** Orders placed (quanqun) or rows inserted (baseline). */
  placed: number
  /** Orders per second, from the first message sent to the last reply queued (insert done). */
  perSecond: number
  /** Orders per second over the middle 80 % of the completions (see steadyRate). */
  steadyPerSecond: number
  /** ms from the message sent to the order committed (baseline: to the insert returning). */
  p50: number
  p99: number
  /** ms from the message sent to the reply queued on the account's send queue (quanqun). */
  replyP50?: number
  replyP99?: number
  /**
   * p50 and p99 to commit of the messages sent after the run's first LEAD_IN_MS: the rate held,
   * without the step from idle to the full rate (while batches grow to it, a backlog builds and
   * drains).
   */
  sustained: { p50: number; p99: number }
}

export interface IntakeResult {
  rate: number
  quanqun: IntakeRun[]
  baseline: IntakeRun[]
  /**
   * A run at light load, where latency is service time rather than queueing: once the process
   * is warm (after the runs at full rate), as residents meet it all day.
   */
  light: { rate: number; quanqun: IntakeRun; baseline: IntakeRun }
  /** The same light load as the process's first orders after its start. */
  lightCold: IntakeRun
  /** One run at BENCH_HIGH_RATE after the rounds (the process warm), each side; none at 0. */
  high?: { rate: number; quanqun: IntakeRun; baseline: IntakeRun }
  /**
   * The process's first run at the full rate, before the measured rounds: its latency is that of
   * a cold process (code not yet optimised by V8, caches empty) and of the backlog that builds
   * meanwhile, which takes seconds to drain at 1,000/s. None with BENCH_WARM_UP=0.
   */
  warmUp?: IntakeRun
  setupMs: number
}

// As `quanqun start` runs (bin/quanqun.js).
tuneHeap()
const N = Number(process.env.BENCH_ORDERS ?? 10_000)
const RATE = Number(process.env.BENCH_RATE ?? 1_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const HIGH_RATE = Number(process.env.BENCH_HIGH_RATE ?? 2_000)
const LIGHT = { messages: 300, rate: 25 }
/** The first part of a run, whose latency is the step from idle: left out of `sustained`. */
const LEAD_IN_MS = 1_000
const WARM_UP = Math.max(0, Math.floor(Number(process.env.BENCH_WARM_UP ?? 3_000)) || 0)
/** postgres.js's default pool, as `quanqun start` opens it. */
const POOL = 10
const url = process.env.BENCH_DATABASE_URL
const started = performance.now()

// When each order is committed: placeOrder logs 'order placed' right after its transaction.
const placedAt = new Map<string, number>()
const log = pino(
  {
    level: 'info',
    hooks: {
      logMethod(args, method) {
        if (args[1] === 'order placed') {
          const code = (args[0] as { order?: string }).order
          if (code) placedAt.set(code, performance.now())
        }
        return method.apply(this, args)
      },
    },
  },
  // Production logs at info: the lines are formatted as there, then dropped.
  new Writable({ write: (_chunk, _enc, done) => done() }),
)

const database = openDatabase({ url, max: POOL })
const { db } = database
// A queue prefix of its own, every key under it deleted at the end.
const redis = await createTestRedis()
const { connection, prefix } = redis

/**
 * Slots of N messages: quanqun's runs, the baseline's, and the light-load pair. Every message of
 * every slot has its own resident (the per-resident limit) and its own (group, category): an open
 * order of the same group and category the same day is a near duplicate, refused.
 */
const SLOTS = {
  quanqun: 0,
  baseline: ROUNDS,
  lightQuanqun: 2 * ROUNDS,
  lightBaseline: 2 * ROUNDS + 1,
  warmUp: 2 * ROUNDS + 2,
  highQuanqun: 2 * ROUNDS + 3,
  highBaseline: 2 * ROUNDS + 4,
  lightCold: 2 * ROUNDS + 5,
}
const SLOT_COUNT = 2 * ROUNDS + 6
const residentOf = (slot: number, i: number): MockPerson => ({
  wechatId: `wxid_bench_s${slot}_${i}`,
  name: `居民${slot}-${i}`,
})

const targets = await db
  .select({ id: groups.id, unitId: groups.unitId, topic: groups.topic })
  .from(groups)
  .where(and(eq(groups.kind, 'residents'), isNotNull(groups.botAccountId)))
  .orderBy(groups.id)
// The residents quanqun's runs need (the baseline inserts rows, nobody speaks).
const speaking: [slot: number, count: number][] = [
  [SLOTS.lightQuanqun, LIGHT.messages],
  [SLOTS.lightCold, LIGHT.messages],
  [SLOTS.warmUp, WARM_UP],
  [SLOTS.highQuanqun, HIGH_RATE > 0 ? N : 0],
  ...Array.from({ length: ROUNDS }, (_, r): [number, number] => [SLOTS.quanqun + r, N]),
]
const residents = speaking.flatMap(([slot, count]) =>
  Array.from({ length: count }, (_, i) => residentOf(slot, i)),
)
const network = await MockNetwork.build(db, residents)
const synced = await bindMockRooms(db, network)
const services = testServices(db, connection, prefix, { log })
const bots = await startBots({
  ...botWiring(services),
  services,
  puppetName: MOCK_PUPPET,
  pacing: loadConfig({}).pacing,
  accounts: network.accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
})
const workers = await startWorkers(services)
network.login()
await until(synced, 300_000, 200)

// One phrase per category, checked against the product's classifier as intake runs it (the whole
// catalogue, the text as sent), so messages meant for different categories never land in the same
// one, and none is asked back (unsure): checked against the catalogue without 其他求助, 92 % of
// them were asked back once its examples grew.
const catalogue = await listCategories(services)
const categories = catalogue.filter((c) => c.code !== FALLBACK_CATEGORY)
/** What a message asks for: its phrase and a tail that makes each message's text its own. */
const about = (phrase: string, slot: number, i: number) => `${phrase}（${slot}-${i}）`
const phrases = categories.map((c) => {
  const text = c.keywords
    .map((k) => `${k}，麻烦尽快安排`)
    .find((t) =>
      // Two of the suffixes the runs add: their digits are part of what is classified.
      [about(t, 0, 0), about(t, 12, 9999)].every((m) => {
        const got = classify(m, catalogue)
        return got?.category.code === c.code && !unsure(got)
      }),
    )
  if (!text) throw new Error(`no bench phrase of ${c.code} classifies as it, surely`)
  return text
})
if (SLOT_COUNT * N > targets.length * phrases.length) {
  throw new Error(
    `${SLOT_COUNT * N} messages need more (group, category) pairs than the district has`,
  )
}

interface Message {
  person: MockPerson
  target: (typeof targets)[number]
  category: number
  text: string
}

function messageOf(slot: number, i: number): Message {
  const k = slot * N + i
  const category = Math.floor(k / targets.length) % phrases.length
  return {
    person: residentOf(slot, i),
    target: targets[k % targets.length]!,
    category,
    text: `点单 ${about(phrases[category]!, slot, i)}`,
  }
}

/**
 * Collects the garbage of the run's set-up (the messages and mock contacts looked up just before,
 * ~0.6 s of allocation) before the clock starts, so the run does not pay for it in its first
 * quarter second. The children run with --expose-gc.
 */
function settleHeap(): void {
  global.gc?.()
}

/** Calls send(i) for i in [0, n) at `rate` per second on a 5 ms tick; resolves once all are sent. */
async function offer(n: number, rate: number, send: (i: number) => void): Promise<void> {
  const t0 = performance.now()
  let next = 0
  while (next < n) {
    const due = Math.min(n, Math.floor(((performance.now() - t0) * rate) / 1000) + 1)
    while (next < due) send(next++)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const heldPart = (ms: number[]) => ({ p50: percentile(ms, 50), p99: percentile(ms, 99) })

async function runQuanqun(slot: number, n: number, rate: number): Promise<IntakeRun> {
  const messages = Array.from({ length: n }, (_, i) => messageOf(slot, i))
  // The mock contacts and rooms are looked up before the clock starts: they are WeChat's side.
  const ready = messages.map((m) => {
    const ref = network.room(m.target.topic)
    return { contact: network.contact(ref.account, m.person.wechatId), room: ref.room }
  })
  const byName = new Map(messages.map((m, i) => [m.person.name, i]))
  const sentAt = new Float64Array(n)
  const replyAt = new Float64Array(n)
  let replies = 0
  const stops = network.accounts.map((a) => {
    const queue = services.messenger.queueOf(a.name)
    const onQueued = (job: { data: { text: string; kind: string } }) => {
      if (job.data.kind !== 'reply') return
      const name = /^@(\S+) /.exec(job.data.text)?.[1]
      const i = name === undefined ? undefined : byName.get(name)
      if (i === undefined || replyAt[i]) return
      replyAt[i] = performance.now()
      replies++
    }
    // Queue.add emits 'waiting' once the job is in Redis (queues/add-jobs.ts adds one by one).
    queue.on('waiting', onQueued)
    return () => queue.off('waiting', onQueued)
  })
  placedAt.clear()
  settleHeap()
  const t0 = performance.now()
  await offer(n, rate, (i) => {
    sentAt[i] = performance.now()
    ready[i]!.contact.say(messages[i]!.text).to(ready[i]!.room)
  })
  await until(async () => replies >= n, 600_000, 10)
  for (const stop of stops) stop()
  const last = replyAt.reduce((a, b) => Math.max(a, b), 0)

  const rows = await db
    .select({ code: orders.code, residentRef: orders.residentRef })
    .from(orders)
    .where(like(orders.residentRef, `wxid_bench_s${slot}\\_%`))
  // [ms after the start the message was sent, ms from sent to committed] per order placed.
  const timeline = rows.flatMap((row) => {
    const i = Number(row.residentRef.slice(`wxid_bench_s${slot}_`.length))
    const at = placedAt.get(row.code)
    return at === undefined ? [] : [[sentAt[i]! - t0, at - sentAt[i]!] as const]
  })
  const committed = timeline.map(([, ms]) => ms)
  const reply = Array.from(replyAt, (t, i) => t - sentAt[i]!)
  // Whether the slow orders came together (a stall) or spread out (a queue) shows here.
  if (process.env.BENCH_TIMELINE) {
    writeFileSync(
      `${process.env.BENCH_TIMELINE}-${slot}.txt`,
      // The first line: the run's start in ms since the process started, as --trace-gc counts.
      `# ${t0.toFixed(1)}\n${timeline.map(([sent, ms]) => `${sent.toFixed(1)} ${ms.toFixed(1)}\n`).join('')}`,
    )
  }
  return {
    messages: n,
    placed: rows.length,
    perSecond: rows.length / ((last - t0) / 1000),
    steadyPerSecond: steadyRate([...replyAt]),
    p50: percentile(committed, 50),
    p99: percentile(committed, 99),
    replyP50: percentile(reply, 50),
    replyP99: percentile(reply, 99),
    sustained: heldPart(timeline.flatMap(([sent, ms]) => (sent >= LEAD_IN_MS ? [ms] : []))),
  }
}

/**
 * The same rows, an order and its first event, in one single-row statement per message, at the
 * same rate and pool size: what storing an order costs with nothing around it.
 */
async function runBaseline(slot: number, n: number, rate: number): Promise<IntakeRun> {
  const sql = postgres(url!, { max: POOL, onnotice: () => {} })
  const messages = Array.from({ length: n }, (_, i) => messageOf(slot, i))
  const latency: number[] = []
  const sustained: number[] = []
  const doneAt: number[] = []
  let last = 0
  await sql`select 1`
  settleHeap()
  const t0 = performance.now()
  await offer(n, rate, (i) => {
    const m = messages[i]!
    const category = categories[m.category]!
    const ref = m.person.wechatId
    const at = performance.now()
    void sql`
      with o as (
        insert into orders (code, resident_ref, resident_name, group_id, unit_id, category_id,
                            text, status, handling_unit_id, due_at)
        values (${`Z${slot}-${i}`}, ${ref}, ${m.person.name}, ${m.target.id}, ${m.target.unitId},
                ${category.id}, ${m.text}, 'placed', ${m.target.unitId},
                now() + make_interval(mins => ${category.acceptSlaMinutes}))
        returning id, handling_unit_id
      )
      insert into order_events (order_id, type, to_status, actor_ref, unit_id, data)
      select id, 'placed', 'placed', ${ref}, handling_unit_id,
             ${sql.json({ verb: '点单', category: category.code })}
      from o`.then(() => {
      const now = performance.now()
      latency.push(now - at)
      if (at - t0 >= LEAD_IN_MS) sustained.push(now - at)
      doneAt.push(now)
      last = Math.max(last, now)
    })
  })
  await until(async () => latency.length >= n, 600_000, 5)
  await sql.end()
  return {
    messages: n,
    placed: latency.length,
    perSecond: n / ((last - t0) / 1000),
    steadyPerSecond: steadyRate(doneAt),
    p50: percentile(latency, 50),
    p99: percentile(latency, 99),
    sustained: heldPart(sustained),
  }
}

const setupMs = performance.now() - started
process.stderr.write(`  intake setup ${(setupMs / 1000).toFixed(1)} s\n`)
const lightCold = await runQuanqun(SLOTS.lightCold, LIGHT.messages, LIGHT.rate)
const result: Omit<IntakeResult, 'light'> = {
  rate: RATE,
  quanqun: [],
  baseline: [],
  lightCold,
  setupMs,
}
if (WARM_UP > 0) {
  const warmUp = await runQuanqun(SLOTS.warmUp, WARM_UP, RATE)
  process.stderr.write(
    `  intake warm-up: ${WARM_UP} orders at ${RATE}/s, committed p50 ${warmUp.p50.toFixed(0)} p99 ${warmUp.p99.toFixed(0)} ms\n`,
  )
  result.warmUp = warmUp
}
for (let round = 0; round < ROUNDS; round++) {
  const cpu0 = await cpuSample()
  const b = await runBaseline(SLOTS.baseline + round, N, RATE)
  const cpu1 = await cpuSample()
  const profile = process.env.BENCH_PROFILE
  const heap = process.env.BENCH_HEAP
  const kind = heap ? `${heap === 'promoted' ? 'promoted.' : ''}heapprofile` : 'cpuprofile'
  const q = await profiled(profile && `${profile}/intake-${round + 1}.${kind}`, () =>
    runQuanqun(SLOTS.quanqun + round, N, RATE),
  )
  const cpu2 = await cpuSample()
  result.baseline.push(b)
  result.quanqun.push(q)
  process.stderr.write(
    `  intake round ${round + 1}: quanqun ${q.placed} orders, ${q.perSecond.toFixed(0)}/s (steady ${q.steadyPerSecond.toFixed(0)}/s), committed p50 ${q.p50.toFixed(0)} p99 ${q.p99.toFixed(0)} ms; baseline ${b.perSecond.toFixed(0)}/s (steady ${b.steadyPerSecond.toFixed(0)}/s), p50 ${b.p50.toFixed(1)} p99 ${b.p99.toFixed(1)} ms\n    CPU: quanqun ${cpuSpent(cpu1, cpu2)}; baseline ${cpuSpent(cpu0, cpu1)}\n`,
  )
}
if (HIGH_RATE > 0) {
  const baseline = await runBaseline(SLOTS.highBaseline, N, HIGH_RATE)
  const quanqun = await runQuanqun(SLOTS.highQuanqun, N, HIGH_RATE)
  process.stderr.write(
    `  intake at ${HIGH_RATE}/s: quanqun steady ${quanqun.steadyPerSecond.toFixed(0)}/s, committed p50 ${quanqun.p50.toFixed(0)} p99 ${quanqun.p99.toFixed(0)} ms; baseline steady ${baseline.steadyPerSecond.toFixed(0)}/s, p50 ${baseline.p50.toFixed(1)} p99 ${baseline.p99.toFixed(1)} ms\n`,
  )
  result.high = { rate: HIGH_RATE, quanqun, baseline }
}
const light = {
  rate: LIGHT.rate,
  baseline: await runBaseline(SLOTS.lightBaseline, LIGHT.messages, LIGHT.rate),
  quanqun: await runQuanqun(SLOTS.lightQuanqun, LIGHT.messages, LIGHT.rate),
}
process.stdout.write(`${JSON.stringify({ ...result, light } satisfies IntakeResult)}\n`)
await workers.close()
await bots.stop()
await services.messenger.close()
await redis.close()
await database.close()
process.exit(0)
