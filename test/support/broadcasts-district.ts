import { eq } from 'drizzle-orm'
import { afterAll, beforeAll } from 'vitest'
import type { Said } from '../../bot/mock-network.ts'
import type { NoticeActor } from '../../broadcasts/authorize.ts'
import { unsigned } from '../../broadcasts/signature.ts'
import {
  type BroadcastWorkerOptions,
  type BroadcastWorkers,
  runBroadcastWorkers,
} from '../../broadcasts/workers.ts'
import type { Services } from '../../core/services.ts'
import type { Db } from '../../db/client.ts'
import { deliveries, notices } from '../../db/schema/broadcasts.ts'
import { groups, units } from '../../db/schema/network.ts'
import { findMemberByWechatId } from '../../network/roles.ts'
import { aroundPuppetSends } from './mock-sends.ts'
import {
  FAST_PACING,
  type SampleDistrict,
  type SampleDistrictOptions,
  startSampleDistrict,
  until,
} from './sample-district.ts'

export { FAST_PACING, until }

/** Send retries in milliseconds instead of the production 5 s … 80 s backoff. */
export const FAST_SEND_RETRIES = {
  attempts: 6,
  backoff: { type: 'fixed', delay: 50 },
} as const

/** Reconcile every 100 ms anything untouched for 400 ms: long enough for a healthy send. */
export const FAST_RECONCILE = { intervalMs: 100, staleMs: 400 } as const

export interface BroadcastDistrictOptions
  extends Pick<
    SampleDistrictOptions,
    'pacing' | 'redisUrl' | 'redisClusterNodes' | 'mockPuppet' | 'dataDir' | 'notices'
  > {
  /** The broadcast workers run in this process; false starts none (a test starts its own). */
  workers?: BroadcastWorkerOptions | false
}

export interface BroadcastDistrict extends SampleDistrict {
  /** The workers started with the district, if any. */
  workers: BroadcastWorkers | undefined
  startWorkers(opts?: BroadcastWorkerOptions): Promise<BroadcastWorkers>
}

/**
 * The sample district with the broadcast workers (and no others) under the test's control: knobs,
 * none at all, killed and restarted; optionally on its own Redis. stop() closes every worker the
 * test started before the bots.
 */
/**
 * A district of the file's own, started before its tests and stopped after them; tests read it
 * through the returned getter.
 */
export function districtPerFile(opts: BroadcastDistrictOptions = {}): () => BroadcastDistrict {
  let district: BroadcastDistrict | undefined
  beforeAll(async () => {
    district = await startBroadcastDistrict(opts)
  })
  afterAll(async () => {
    await district?.stop()
  })
  return () => {
    if (!district) throw new Error('district not started: call inside a test')
    return district
  }
}

export async function startBroadcastDistrict(
  opts: BroadcastDistrictOptions = {},
): Promise<BroadcastDistrict> {
  const started: BroadcastWorkers[] = []
  const run = async (services: Services, o: BroadcastWorkerOptions) => {
    const w = await runBroadcastWorkers(services, o)
    started.push(w)
    return w
  }
  let workers: BroadcastWorkers | undefined
  const d = await startSampleDistrict({
    ...opts,
    // Always given, so that the district's stop() closes the workers started later too.
    workers: async (services) => {
      if (opts.workers !== false) workers = await run(services, opts.workers ?? {})
      return {
        async close() {
          for (const w of started) await w.close()
        },
      }
    },
  })
  return { ...d, workers, startWorkers: (o = {}) => run(d.services, o) }
}

/** Puts `around` in front of every send of the account's mock puppet; returns the undo. */
export function aroundSends(
  d: BroadcastDistrict,
  account: string,
  around: (roomId: string, text: string, say: () => Promise<unknown>) => Promise<unknown>,
): () => void {
  return aroundPuppetSends(d.network, account, around)
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
  return aroundSends(d, account, async (roomId, text, say) => {
    if (fail(roomId, text)) throw new Error(`mock: send to ${roomId} refused`)
    return say()
  })
}

/** A send stuck in flight: the ones `hold` picks wait (in `held`) until `release`. */
export interface HeldSends {
  held: string[]
  release(): void
  undo(): void
}

export function holdSends(
  d: BroadcastDistrict,
  account: string,
  hold: (roomId: string, text: string) => boolean | Promise<boolean>,
): HeldSends {
  let release!: () => void
  const released = new Promise<void>((r) => {
    release = r
  })
  const held: string[] = []
  const undo = aroundSends(d, account, async (roomId, text, say) => {
    if (await hold(roomId, text)) {
      held.push(roomId)
      await released
    }
    return say()
  })
  return {
    held,
    release,
    undo: () => {
      release()
      undo()
    },
  }
}

/** The mock transcript's copies of the notice text, bot lines only, in the order they were said. */
export function noticeCopies(d: SampleDistrict, text: string): Said[] {
  return d.network.transcript.filter((s) => s.fromBot && unsigned(s.text) === text)
}

/** Waits until the notice is done (nothing pending or sending, summary decided). */
export async function untilDone(d: { t: { db: Db } }, id: number, timeoutMs = 20_000) {
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
export function agreement(d: SampleDistrict, noticeId: number): Promise<Agreement> {
  return agreementOf(
    d.t.db,
    noticeId,
    d.network.transcript.filter((s) => s.fromBot),
  )
}

/** `agreement` over the bot lines `said`, wherever they were heard (e.g. in several processes). */
export async function agreementOf(
  db: Db,
  noticeId: number,
  said: readonly Pick<Said, 'roomId' | 'text'>[],
): Promise<Agreement> {
  const [notice] = await db.select().from(notices).where(eq(notices.id, noticeId))
  const rows = await db
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
  for (const s of said)
    if (unsigned(s.text) === notice!.text) copies.set(s.roomId, (copies.get(s.roomId) ?? 0) + 1)
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
export function replyTo(d: SampleDistrict, topic: string, includes: string, timeoutMs = 10_000) {
  return d.network.waitFor(
    (s) => s.fromBot && s.topic === topic && s.text.includes(includes),
    timeoutMs,
  )
}

/** The chat member with `wechatId` as an actor, as the chat handlers make one. */
export async function memberActor(db: Db, wechatId: string): Promise<NoticeActor> {
  return { kind: 'member', ref: wechatId, member: await findMemberByWechatId(db, wechatId) }
}

/** The notice id out of a preview reply ("通知 N12 共 …"). */
export function codeIn(text: string): number {
  const m = /通知 N(\d+)/.exec(text)
  if (!m) throw new Error(`no notice code in: ${text}`)
  return Number(m[1])
}
