// One process, as `quanqun start` runs it: the generated district on 22 mock accounts, quanqun's
// bots (one send worker per account) and the broadcast workers (fan-out, reconciler), pacing off
// for the benchmark. Alternates a raw BullMQ baseline with a notice to the district root, and
// prints one JSON line (FanoutResult).
//
// The notice goes to every district root in the database at once (one notice each, confirmed
// together): the generated district has one root, a generated city (bench/city.ts) ten.
//
// Knobs (env): BENCH_ROUNDS (3); BENCH_PROFILE=dir writes a .cpuprofile per quanqun round;
// BENCH_SPANS=1 times the delivery hooks and the fan-out's tiers (stderr); BENCH_NO_HOOKS=1 sends
// without the delivery hooks (rows never marked: the floor of queues + Wechaty alone);
// BENCH_NO_BASELINE=1 skips the raw BullMQ rounds (the city bench compares quanqun with itself);
// BENCH_ROOTS=path,… sends to those units only.

import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Queue, Worker } from 'bullmq'
import { MockNetwork } from '../bot/mock-network.ts'
import { DELIVERY_REF } from '../broadcasts/delivery-jobs.ts'
import { DeliveryLedger } from '../broadcasts/delivery-ledger.ts'
import { unsigned } from '../broadcasts/signature.ts'
import { runBroadcastWorkers } from '../broadcasts/workers.ts'
import { tuneHeap } from '../core/heap.ts'
import { until } from '../core/until.ts'
import { openDatabase } from '../db/client.ts'
import { AroundSend, type SendHooks } from '../queues/send-hooks.ts'
import { createTestRedis } from '../test/support/redis.ts'
import { testServices } from '../test/support/sample-services.ts'
import {
  bindMockRooms,
  confirmNotices,
  districtRoots,
  draftNotices,
  noticeText,
  sentDeliveries,
  unpacedBots,
} from './district.ts'
import { cpuSample, cpuSpent, profiled, Spans } from './support.ts'

// As `quanqun start` runs (bin/quanqun.js).
tuneHeap()

/** Warms the JIT, the puppets' room caches and the planner's statistics; not measured. */
const WARM_UP_SCOPE = '九龙坡区/杨家坪街道'
/** postgres.js's default pool, as `quanqun start` opens it. */
const POOL = 10
/** Jobs per addBulk, as the fan-out adds them (broadcasts/delivery-jobs.ts). */
const BULK = 500

export interface FanoutRound {
  /** ms from the first addBulk to the last job completed; absent with BENCH_NO_BASELINE. */
  baselineMs?: number
  /** ms for the same says with nothing around them: the floor of this work (see `floor`). */
  floorMs: number
  /** ms from the first confirm to every delivery row sent and every mock room holding the notice. */
  quanqunMs: number
  groups: number
}

export interface FanoutResult {
  rounds: FanoutRound[]
  accounts: number
  /** The district roots each round's notices went to. */
  roots: number
  setupMs: number
  /** Peak RSS of this process over its whole life (setup, baseline and quanqun rounds), MB. */
  peakRssMB: number
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const started = performance.now()
const database = openDatabase({ url: process.env.BENCH_DATABASE_URL, max: POOL })
// A queue prefix of its own, every key under it deleted at the end.
const redis = await createTestRedis()
const { connection, prefix } = redis
const network = await MockNetwork.build(database.db)
const roots = process.env.BENCH_ROOTS?.split(',') ?? (await districtRoots(database.db))
const synced = await bindMockRooms(database.db, network)
const services = testServices(database.db, connection, prefix)

const spans = process.env.BENCH_SPANS ? new Spans() : undefined
let confirmedAt = 0

/** The product's delivery hooks with a stopwatch around them. */
function timedHooks(s: Spans): SendHooks {
  const hooks = new DeliveryLedger(services)
  const saidFrom = new Map<string, number>()
  return {
    before: async (msg, ref, sender) => {
      const r = await s.time('hook before (gate)', () => hooks.before(msg, ref, sender))
      saidFrom.set(ref, performance.now())
      return r
    },
    after: async (msg, ref) => {
      s.add('say (Room.find + say)', performance.now() - (saidFrom.get(ref) ?? 0))
      saidFrom.delete(ref)
      await s.time('hook after (markSent + progress)', () => hooks.after(msg, ref))
    },
    failed: (msg, ref, error) => hooks.failed(msg, ref, error),
    settle: () => hooks.settle(),
  }
}

const aroundSend = process.env.BENCH_NO_HOOKS
  ? new AroundSend({}, services.log)
  : spans
    ? new AroundSend({ [DELIVERY_REF]: timedHooks(spans) }, services.log)
    : undefined
const bots = await unpacedBots(services, network, aroundSend)
const workers = await runBroadcastWorkers(services, {
  fanout: {
    onTierQueued: (e) => {
      spans?.add(
        `tier ${e.tier} queued (${e.queued} sends), since confirm`,
        performance.now() - confirmedAt,
      )
    },
  },
})
network.login()
await until(synced, 300_000, 200)
const roomsPerAccount = network.accounts.map((a) => network.roomsOf(a.name))
const setupMs = performance.now() - started

/**
 * Raw BullMQ: one queue per account holding that account's rooms as jobs (the same payload a
 * send job carries), added with addBulk 500 at a time, drained by one no-op worker per queue at
 * concurrency 1. A fresh prefix each round.
 */
async function baseline(text: string): Promise<number> {
  const basePrefix = `qqbb-${randomBytes(4).toString('hex')}`
  const total = roomsPerAccount.reduce((n, rooms) => n + rooms.length, 0)
  let done = 0
  let allDone!: () => void
  const finished = new Promise<void>((resolve) => {
    allDone = resolve
  })
  const queues = roomsPerAccount.map(
    (_, i) => new Queue(`base-${i}`, { connection, prefix: basePrefix }),
  )
  const consumers = roomsPerAccount.map(
    (_, i) =>
      new Worker(`base-${i}`, async () => {}, { connection, prefix: basePrefix, concurrency: 1 }),
  )
  for (const w of consumers) {
    w.on('completed', () => {
      if (++done === total) allDone()
    })
    await w.waitUntilReady()
  }
  const t0 = performance.now()
  await Promise.all(
    queues.map(async (queue, i) => {
      const jobs = roomsPerAccount[i]!.map((room) => ({
        name: 'say',
        data: { roomId: room.id, text, kind: 'notice', tier: 5 },
      }))
      for (let from = 0; from < jobs.length; from += BULK) {
        await queue.addBulk(jobs.slice(from, from + BULK))
      }
    }),
  )
  await finished
  const ms = performance.now() - t0
  await Promise.all(consumers.map((w) => w.close()))
  for (const queue of queues) {
    await queue.obliterate({ force: true })
    await queue.close()
  }
  return ms
}

/**
 * The floor of the same work: each account says the text in each of its rooms one after another,
 * as its send worker does (Room.find, then say), all accounts at once; no queues, no ledger, no
 * database. Whatever quanqun takes beyond this is what its guarantees cost.
 */
async function floor(text: string): Promise<number> {
  const t0 = performance.now()
  await Promise.all(
    network.accounts.map(async (account, i) => {
      for (const mockRoom of roomsPerAccount[i]!) {
        const room = await account.wechaty.Room.find({ id: mockRoom.id })
        if (!room) throw new Error(`room ${mockRoom.id} not found on ${account.name}`)
        await room.say(text)
      }
    }),
  )
  return performance.now() - t0
}

/**
 * A new notice to each of `scopes`, drafted, then timed from confirming them together to every
 * room and row done.
 */
async function quanqun(scopes: string[], text: string): Promise<{ ms: number; groups: number }> {
  const { ids: noticeIds, groups: expected } = await draftNotices(services, scopes, text)
  const rooms = new Set<string>()
  const stop = network.onSaid((s) => {
    if (s.fromBot && unsigned(s.text) === text) rooms.add(s.roomId)
  })
  const t0 = performance.now()
  confirmedAt = t0
  await confirmNotices(services, noticeIds)
  await until(async () => rooms.size >= expected, 600_000, 10)
  if (!process.env.BENCH_NO_HOOKS) {
    await until(
      async () => (await sentDeliveries(database.db, noticeIds)) === expected,
      600_000,
      10,
    )
  }
  const ms = performance.now() - t0
  stop()
  return { ms, groups: expected }
}

process.stderr.write(`  fanout setup ${(setupMs / 1000).toFixed(1)} s\n`)
await quanqun([WARM_UP_SCOPE], noticeText('预热'))
const rounds: FanoutRound[] = []
for (let round = 0; round < ROUNDS; round++) {
  const text = noticeText(`第${round + 1}轮`)
  const cpu0 = await cpuSample()
  const baselineMs = process.env.BENCH_NO_BASELINE ? undefined : await baseline(text)
  const cpu1 = await cpuSample()
  const floorMs = await floor(`${text}（基线）`)
  const profile = process.env.BENCH_PROFILE
  const q = await profiled(profile && `${profile}/fanout-${round + 1}.cpuprofile`, () =>
    quanqun(roots, text),
  )
  const cpu2 = await cpuSample()
  rounds.push({
    ...(baselineMs === undefined ? {} : { baselineMs }),
    floorMs,
    quanqunMs: q.ms,
    groups: q.groups,
  })
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  process.stderr.write(
    `  fanout round ${round + 1}: baseline ${baselineMs === undefined ? 'skipped' : `${seconds(baselineMs)} (CPU ${cpuSpent(cpu0, cpu1)})`}, floor ${seconds(floorMs)}, quanqun ${seconds(q.ms)} (CPU ${cpuSpent(cpu1, cpu2)}; ${q.groups} groups)\n`,
  )
}
if (spans) process.stderr.write(`${spans.report()}\n`)
const result: FanoutResult = {
  rounds,
  accounts: network.accounts.length,
  roots: roots.length,
  setupMs,
  peakRssMB: process.resourceUsage().maxRSS / 1024,
}
process.stdout.write(`${JSON.stringify(result)}\n`)
await workers.close()
await bots.stop()
await services.messenger.close()
await redis.close()
await database.close()
process.exit(0)
