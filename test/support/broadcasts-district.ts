import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { eq } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import { pino } from 'pino'
import { Messenger } from '../../bot/messenger.ts'
import { MockNetwork, type Said } from '../../bot/mock-network.ts'
import { MOCK_PUPPET } from '../../bot/puppet.ts'
import { type BotRuntime, startBots } from '../../bot/runtime.ts'
import {
  type BroadcastWorkerOptions,
  type BroadcastWorkers,
  runBroadcastWorkers,
} from '../../broadcasts/workers.ts'
import { deliveries, notices } from '../../db/schema/broadcasts.ts'
import { groups, units } from '../../db/schema/network.ts'
import { sampleResidents } from '../../fixtures/sample-residents.ts'
import { importNetwork } from '../../network/import.ts'
import { createRedis } from '../../queues/connection.ts'
import type { PacingRules } from '../../queues/pacing.ts'
import type { Services } from '../../runtime/services.ts'
import { createTestDatabase, type TestDatabase } from './pg.ts'
import { redisUrl } from './redis.ts'
import { FAST_PACING, until } from './sample-district.ts'

export { FAST_PACING, until }

/** Send retries in milliseconds instead of the production 5 s … 80 s backoff. */
export const FAST_SEND_RETRIES = {
  attempts: 6,
  backoff: { type: 'fixed', delay: 50 },
} as const

/** Reconcile every 100 ms anything untouched for 400 ms: long enough for a healthy send. */
export const FAST_RECONCILE = { intervalMs: 100, staleMs: 400 } as const

export interface BroadcastDistrictOptions {
  pacing?: PacingRules & { cooldownMs: number }
  /** The broadcast workers run in this process; false starts none (a test starts its own). */
  workers?: BroadcastWorkerOptions | false
  /** A Redis of the test's own (the FLUSHALL test); the shared test Redis by default. */
  redisUrl?: string
}

export interface BroadcastDistrict {
  t: TestDatabase
  services: Services
  network: MockNetwork
  bots: BotRuntime
  prefix: string
  /** The workers started with the district, if any. */
  workers: BroadcastWorkers | undefined
  startWorkers(opts?: BroadcastWorkerOptions): Promise<BroadcastWorkers>
  stop(): Promise<void>
}

/**
 * The sample district on mock puppets, as startSampleDistrict builds it, but with the broadcast
 * workers under the test's control (knobs, none at all, killed and restarted) and optionally its
 * own Redis. Everything the test starts is closed by stop(), in dependency order.
 */
export async function startBroadcastDistrict(
  opts: BroadcastDistrictOptions = {},
): Promise<BroadcastDistrict> {
  const t = await createTestDatabase()
  const csv = await readFile(new URL('../../fixtures/sample-district.csv', import.meta.url))
  const result = await importNetwork(t.db, csv)
  if (!result.ok) throw new Error(`sample import failed: ${JSON.stringify(result.errors)}`)
  const connection = createRedis(opts.redisUrl ?? redisUrl())
  const prefix = `qqt-${randomBytes(5).toString('hex')}`
  const network = await MockNetwork.build(t.db, sampleResidents)
  const services: Services = {
    db: t.db,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    connection,
    queuePrefix: prefix,
    messenger: new Messenger(t.db, connection, prefix),
    timezone: 'Asia/Shanghai',
    now: () => new Date(),
  }
  const bots = await startBots({
    services,
    puppetName: MOCK_PUPPET,
    pacing: opts.pacing ?? FAST_PACING,
    accounts: network.accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
  })
  const started: BroadcastWorkers[] = []
  const startWorkers = async (o: BroadcastWorkerOptions = {}) => {
    const w = await runBroadcastWorkers(services, o)
    started.push(w)
    return w
  }
  const workers = opts.workers === false ? undefined : await startWorkers(opts.workers ?? {})
  network.login()
  await until(async () => {
    const rows = await t.db.select({ roomId: groups.roomId }).from(groups)
    return rows.every((r) => r.roomId !== null)
  })
  return {
    t,
    services,
    network,
    bots,
    prefix,
    workers,
    startWorkers,
    async stop() {
      for (const w of started) await w.close()
      await bots.stop()
      await services.messenger.close()
      await deleteKeys(connection, prefix)
      await connection.quit()
      await t.close()
    },
  }
}

async function deleteKeys(connection: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    if (keys.length > 0) await connection.del(...keys)
    cursor = next
  } while (cursor !== '0')
}

/**
 * Makes the account's puppet throw for the messages `fail` picks, before anything is said, as a
 * refused send does. Returns the undo.
 */
export function failSends(
  d: BroadcastDistrict,
  account: string,
  fail: (roomId: string, text: string) => boolean,
): () => void {
  const puppet = d.network.account(account).mocker.puppet as unknown as {
    messageSendText(roomId: string, text: string): Promise<string | undefined>
  }
  const original = puppet.messageSendText.bind(puppet)
  puppet.messageSendText = async (roomId: string, text: string) => {
    if (fail(roomId, text)) throw new Error(`mock: send to ${roomId} refused`)
    return original(roomId, text)
  }
  return () => {
    puppet.messageSendText = original
  }
}

/** The mock transcript's copies of the notice text, bot lines only, in the order they were said. */
export function noticeCopies(d: BroadcastDistrict, text: string): Said[] {
  return d.network.transcript.filter((s) => s.fromBot && s.text === text)
}

/** Waits until the notice is done (nothing pending or sending, summary decided). */
export async function untilDone(d: BroadcastDistrict, id: number, timeoutMs = 20_000) {
  await until(async () => {
    const [row] = await d.t.db
      .select({ status: notices.status })
      .from(notices)
      .where(eq(notices.id, id))
    return row?.status === 'done'
  }, timeoutMs)
}

export interface Agreement {
  /** Target rooms, each with the copies it holds and its delivery status. */
  rooms: { topic: string; tier: number; status: string; copies: number; attempts: number }[]
  /** Copies said into rooms that are not targets of the notice. */
  outside: number
}

/**
 * Puts the deliveries table next to what the mock rooms received, per target group: the fault
 * tests end by asserting every sent delivery's room holds exactly one copy, every other target
 * none, and no room outside the audience any.
 */
export async function agreement(d: BroadcastDistrict, noticeId: number): Promise<Agreement> {
  const [notice] = await d.t.db.select().from(notices).where(eq(notices.id, noticeId))
  const rows = await d.t.db
    .select({
      roomId: groups.roomId,
      topic: groups.topic,
      tier: units.tier,
      status: deliveries.status,
      attempts: deliveries.attempts,
    })
    .from(deliveries)
    .innerJoin(groups, eq(groups.id, deliveries.groupId))
    .innerJoin(units, eq(units.id, groups.unitId))
    .where(eq(deliveries.noticeId, noticeId))
  const copies = new Map<string, number>()
  for (const s of noticeCopies(d, notice!.text))
    copies.set(s.roomId, (copies.get(s.roomId) ?? 0) + 1)
  const targets = new Set(rows.map((r) => r.roomId))
  let outside = 0
  for (const [roomId, n] of copies) if (!targets.has(roomId)) outside += n
  return {
    rooms: rows.map((r) => ({
      topic: r.topic,
      tier: r.tier,
      status: r.status,
      copies: r.roomId ? (copies.get(r.roomId) ?? 0) : 0,
      attempts: r.attempts,
    })),
    outside,
  }
}

/** For each account, the tiers of the notice's copies in the order they were said. */
export async function tierOrderByAccount(
  d: BroadcastDistrict,
  text: string,
): Promise<Map<string, number[]>> {
  const tierOfRoom = new Map(
    (
      await d.t.db
        .select({ roomId: groups.roomId, tier: units.tier })
        .from(groups)
        .innerJoin(units, eq(units.id, groups.unitId))
    ).map((r) => [r.roomId, r.tier]),
  )
  const order = new Map<string, number[]>()
  for (const s of noticeCopies(d, text)) {
    const list = order.get(s.account) ?? []
    list.push(tierOfRoom.get(s.roomId) ?? 0)
    order.set(s.account, list)
  }
  return order
}

/** Resolves with the bot's reply to `talkerName` in `topic` that includes `includes`. */
export function replyTo(d: BroadcastDistrict, topic: string, includes: string, timeoutMs = 10_000) {
  return d.network.waitFor(
    (s) => s.fromBot && s.topic === topic && s.text.includes(includes),
    timeoutMs,
  )
}

/** The notice id out of a preview reply ("通知 N12 共 …"). */
export function codeIn(text: string): number {
  const m = /通知 N(\d+)/.exec(text)
  if (!m) throw new Error(`no notice code in: ${text}`)
  return Number(m[1])
}
