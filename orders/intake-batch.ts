/**
 * Group commit for 点单. Every commit waits for an fsync, so orders arriving together are placed
 * together: the intakes that come in while one transaction is in flight wait for it, then go in
 * the next one. A batch is one transaction whatever its size, in two round trips (db/pipelined.ts):
 * `begin`, advisory locks, one read of everything the rules need and codes together; then one
 * insert of the orders and their events with the `commit`. What happens to each order is decided
 * in between by
 * `decideBatch`, a pure function that walks the batch in arrival order exactly as placing them one
 * by one would: an order placed earlier in the batch is a near duplicate of a later one and counts
 * toward its resident's pace, and each dispatch raises its worker's load before the next order
 * picks.
 *
 * A batch that fails is placed again one order at a time, each a batch of one, so one bad order
 * cannot take the others down with it. An order alone is the same code path.
 */
import { sql } from 'drizzle-orm'
import { Batcher, batcherOf } from '../core/batcher.ts'
import { type OrderOptions, orderOptions } from '../core/order-options.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { type PipelinedTx, pipelinedTransaction } from '../db/pipelined.ts'
import { orderCodeSeq } from '../db/schema/orders.ts'
import type { Unit } from '../network/types.ts'
import type { Moved } from './act.ts'
import { type Category, FALLBACK_CATEGORY } from './catalogue.ts'
import { type Classification, matchText } from './classify.ts'
import { orderCodeFor } from './code.ts'
import { type Candidate, pickLeastLoaded } from './dispatch.ts'
import type { PlaceInput } from './intake.ts'
import { dueAtFor } from './sla-time.ts'
import { OPEN_STATUSES, stepOf, type Transition, transition } from './state-machine.ts'
import type { OrderEventRow, OrderRow } from './store.ts'

/** An order ready to place: its text cleaned, classified and routed. */
export interface Prepared extends PlaceInput {
  category: Category
  classified: Classification | undefined
  handlingUnit: Unit
}

export interface Intake {
  services: Services
  prepared: Prepared
}

export type Outcome =
  | { kind: 'placed'; last: Moved; assignee?: Candidate }
  | { kind: 'duplicate'; code: string }
  | { kind: 'limited'; max: number; minutes: number }

// ---------------------------------------------------------------------------------------------
// The rules, pure.

/** An open order that a new one of the same group and category could repeat. */
export interface OpenOrder {
  code: string
  groupId: number
  categoryId: number
  residentRef: string
  text: string
  createdAt: Date
}

/** What the rules need from the database, read once for the whole batch. */
export interface Seen {
  /** Open orders of the batch's (group, category) pairs from the last two days, oldest first. */
  open: readonly OpenOrder[]
  /** When each of the batch's residents placed orders lately (any status). */
  placedAt: ReadonlyMap<string, readonly Date[]>
  /** Grid workers and volunteers with a role on each handling unit, by member id. */
  candidates: ReadonlyMap<number, readonly Omit<Candidate, 'load'>[]>
  /** Open (dispatched or accepted) orders per candidate. */
  loads: ReadonlyMap<number, number>
}

export interface ToDecide {
  prepared: Prepared
  now: Date
  options: OrderOptions
  timezone: string
}

export type Decision =
  | { kind: 'place'; dispatch?: { to: Candidate; moved: Extract<Transition, { ok: true }> } }
  /** A repeat of an open order already stored, or of an earlier order of this batch. */
  | { kind: 'duplicate'; code: string }
  | { kind: 'duplicateOf'; index: number }
  | { kind: 'limited'; max: number; minutes: number }

const dayFormats = new Map<string, Intl.DateTimeFormat>()

/** The local calendar day of an instant, as the near-duplicate rule counts days. */
export function localDay(at: Date, timezone: string): string {
  let format = dayFormats.get(timezone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })
    dayFormats.set(timezone, format)
  }
  return format.format(at)
}

/**
 * Each order of the batch in arrival order, as if placed one by one: the near duplicate first
 * (same group, category and local day, still open; for 其他求助 only the same person's same
 * words), then the resident's pace, then the least-loaded worker of the handling unit.
 */
export function decideBatch(batch: readonly ToDecide[], seen: Seen): Decision[] {
  const loads = new Map(seen.loads)
  const placed: { index: number; order: OpenOrder }[] = []
  return batch.map((item, index): Decision => {
    const { prepared: p, now, options, timezone } = item
    const category = p.category
    if (p.groupId !== null) {
      const today = localDay(now, timezone)
      const repeats = (o: OpenOrder) =>
        o.groupId === p.groupId &&
        o.categoryId === category.id &&
        localDay(o.createdAt, timezone) === today &&
        (category.code !== FALLBACK_CATEGORY ||
          (o.residentRef === p.residentRef && matchText(o.text) === matchText(p.text)))
      const stored = seen.open.find(repeats)
      if (stored) return { kind: 'duplicate', code: stored.code }
      const earlier = placed.find((e) => repeats(e.order))
      if (earlier) return { kind: 'duplicateOf', index: earlier.index }
    }

    const since = now.getTime() - options.windowMinutes * 60_000
    const recent =
      (seen.placedAt.get(p.residentRef) ?? []).filter((at) => at.getTime() >= since).length +
      placed.filter(
        (e) => e.order.residentRef === p.residentRef && e.order.createdAt.getTime() >= since,
      ).length
    if (recent >= options.ordersPerWindow) {
      return { kind: 'limited', max: options.ordersPerWindow, minutes: options.windowMinutes }
    }

    placed.push({
      index,
      order: {
        code: '',
        groupId: p.groupId ?? -1,
        categoryId: category.id,
        residentRef: p.residentRef,
        text: p.text,
        createdAt: now,
      },
    })
    // 其他求助 waits for the station's staff to read it and pick someone: nobody is auto-assigned.
    if (options.dispatch !== 'least-loaded' || category.code === FALLBACK_CATEGORY) {
      return { kind: 'place' }
    }
    const pick = pickLeastLoaded(
      (seen.candidates.get(p.handlingUnit.id) ?? []).map((c) => ({
        ...c,
        load: loads.get(c.memberId) ?? 0,
      })),
    )
    if (!pick) return { kind: 'place' }
    const moved = transition(
      {
        code: '',
        status: 'placed',
        residentRef: p.residentRef,
        handlingUnit: {
          id: p.handlingUnit.id,
          path: p.handlingUnit.path,
          tier: p.handlingUnit.tier,
        },
        assigneeMemberId: null,
        reopens: 0,
      },
      {
        kind: 'dispatch',
        // A candidate holds a role on the handling unit itself: the rules will agree.
        assignee: {
          memberId: pick.memberId,
          name: pick.name,
          grants: [
            { role: 'grid_worker', unitId: p.handlingUnit.id, unitPath: p.handlingUnit.path },
          ],
        },
      },
      { kind: 'system' },
      { maxReopens: options.maxReopens },
    )
    if (!moved.ok) return { kind: 'place' }
    loads.set(pick.memberId, pick.load + 1)
    return { kind: 'place', dispatch: { to: pick, moved } }
  })
}

// ---------------------------------------------------------------------------------------------
// The transaction.

// Advisory lock namespaces (first key of pg_advisory_xact_lock(int, int)): arbitrary constants.
const LOCK_GROUP = 5_001
const LOCK_RESIDENT = 5_002
const OPEN_LIST = sql.raw(OPEN_STATUSES.map((s) => `'${s}'`).join(', '))
const CANDIDATE_ROLES = sql.raw(`'grid_worker', 'volunteer'`)
// A local day is at most 26 hours long: two days back covers today in every time zone.
const DUPLICATE_LOOKBACK_MS = 2 * 24 * 3_600_000

/**
 * Every group, then every resident of the batch, each in ascending key order: one global order
 * of acquisition, so batches from several processes cannot deadlock. Other processes' intakes
 * of the same group or resident wait; their rows are visible to the read that follows.
 */
async function lockBatch(tx: PipelinedTx, batch: readonly Intake[]): Promise<void> {
  const groups = [...new Set(batch.flatMap((b) => b.prepared.groupId ?? []))]
  const refs = [...new Set(batch.map((b) => b.prepared.residentRef))]
  await tx.run(sql`
    select count(pg_advisory_xact_lock(k.space, k.key)) from (
      select ${LOCK_GROUP}::int as space, g::int as key
        from json_array_elements_text(${JSON.stringify(groups)}::json) g
      union
      select ${LOCK_RESIDENT}::int, hashtext(r)
        from json_array_elements_text(${JSON.stringify(refs)}::json) r
      order by 1, 2
      offset 0
    ) k`)
}

interface SeenJson {
  open: { code: string; g: number; c: number; r: string; t: string; at: string }[]
  recent: { r: string; at: string }[]
  candidates: { u: number; m: number; name: string; wx: string }[]
  loads: { m: number; n: number }[]
}

/**
 * One statement for everything the rules need. Each part walks its index once per key of the
 * batch (lateral, fenced with `offset 0`): the planner, told ~100 rows for a JSON list, would
 * otherwise hash-join the whole orders table, as it did while the table was young (10,000 orders,
 * all recent: 12 ms a batch against 2 ms).
 */
async function readSeen(tx: PipelinedTx, batch: readonly ToDecide[]): Promise<Seen> {
  const pairs = new Map<string, { g: number; c: number }>()
  for (const { prepared: p } of batch) {
    if (p.groupId !== null)
      pairs.set(`${p.groupId}:${p.category.id}`, { g: p.groupId, c: p.category.id })
  }
  const refs = [...new Set(batch.map((b) => b.prepared.residentRef))]
  const units = [...new Set(batch.map((b) => b.prepared.handlingUnit.id))]
  const earliest = Math.min(...batch.map((b) => b.now.getTime()))
  const window = Math.max(...batch.map((b) => b.options.windowMinutes))
  const openSince = new Date(earliest - DUPLICATE_LOOKBACK_MS).toISOString()
  const recentSince = new Date(earliest - window * 60_000).toISOString()
  const unitsJson = JSON.stringify(units)
  const [row] = await tx.run<{ seen: string }>(sql`
      with pairs as (
        select distinct * from json_to_recordset(${JSON.stringify([...pairs.values()])}::json) as p(g int, c int)
      ), cands as (
        select distinct u.u as unit_id, m.id as member_id, m.name, m.wechat_id
        from (select distinct value::int as u from json_array_elements_text(${unitsJson}::json)) u
        cross join lateral (
          select m.id, m.name, m.wechat_id from roles r join members m on m.id = r.member_id
          where r.unit_id = u.u and r.role in (${CANDIDATE_ROLES})
          offset 0
        ) m
      )
      select json_build_object(
        'open', (
          select coalesce(json_agg(json_build_object('code', o.code, 'g', o.group_id,
            'c', o.category_id, 'r', o.resident_ref, 't', o.text, 'at', o.created_at) order by o.id), '[]')
          from pairs p cross join lateral (
            select * from orders o
            where o.group_id = p.g and o.category_id = p.c and o.created_at >= ${openSince}::timestamptz
            offset 0
          ) o
          where o.status in (${OPEN_LIST})),
        'recent', (
          select coalesce(json_agg(json_build_object('r', o.resident_ref, 'at', o.created_at)), '[]')
          from (select distinct value as r from json_array_elements_text(${JSON.stringify(refs)}::json)) x
          cross join lateral (
            select o.resident_ref, o.created_at from orders o
            where o.resident_ref = x.r and o.created_at >= ${recentSince}::timestamptz
            offset 0
          ) o),
        'candidates', (
          select coalesce(json_agg(json_build_object('u', unit_id, 'm', member_id, 'name', name,
            'wx', wechat_id) order by unit_id, member_id), '[]')
          from cands),
        'loads', (
          select coalesce(json_agg(json_build_object('m', c.m, 'n', l.n)), '[]')
          from (select distinct member_id as m from cands) c
          cross join lateral (
            select count(*)::int as n from orders o
            where o.assignee_member_id = c.m and o.status in ('dispatched', 'accepted')
          ) l
          where l.n > 0)
      )::text as seen`)
  const seen = JSON.parse(row!.seen) as SeenJson
  const placedAt = new Map<string, Date[]>()
  for (const r of seen.recent) {
    const list = placedAt.get(r.r) ?? []
    list.push(new Date(r.at))
    placedAt.set(r.r, list)
  }
  const candidates = new Map<number, Omit<Candidate, 'load'>[]>()
  for (const c of seen.candidates) {
    const list = candidates.get(c.u) ?? []
    list.push({ memberId: c.m, name: c.name, wechatId: c.wx })
    candidates.set(c.u, list)
  }
  return {
    open: seen.open.map((o) => ({
      code: o.code,
      groupId: o.g,
      categoryId: o.c,
      residentRef: o.r,
      text: o.t,
      createdAt: new Date(o.at),
    })),
    placedAt,
    candidates,
    loads: new Map(seen.loads.map((l) => [l.m, l.n])),
  }
}

async function takeCodes(tx: PipelinedTx, n: number): Promise<string[]> {
  if (n === 0) return []
  const rows = await tx.run<{ n: string }>(
    sql`select nextval(${sql.raw(`'${orderCodeSeq.seqName}'`)})::text as n from generate_series(1, ${n}::int)`,
  )
  return rows
    .map((r) => Number(r.n))
    .sort((a, b) => a - b)
    .map(orderCodeFor)
}

type NewEvent = Omit<OrderEventRow, 'id' | 'orderId'>

interface Placing {
  index: number
  before: Omit<OrderRow, 'id'>
  order: Omit<OrderRow, 'id'>
  events: NewEvent[]
  assignee?: Candidate
}

/** The rows of one placed order: as placed, then as dispatched when someone was picked. */
function rowsFor(item: ToDecide, decision: Extract<Decision, { kind: 'place' }>, code: string) {
  const { prepared: p, now, options } = item
  const before: Omit<OrderRow, 'id'> = {
    code,
    residentRef: p.residentRef,
    residentName: p.residentName,
    groupId: p.groupId,
    unitId: p.unitId,
    categoryId: p.category.id,
    text: p.text,
    status: 'placed',
    handlingUnitId: p.handlingUnit.id,
    assigneeMemberId: null,
    rating: null,
    dueAt: dueAtFor(now, 'accept', p.category, options),
    escalations: 0,
    createdAt: now,
    updatedAt: now,
  }
  const events: NewEvent[] = [
    {
      at: now,
      type: 'placed',
      fromStatus: null,
      toStatus: 'placed',
      actorRef: p.residentRef,
      actorMemberId: null,
      unitId: p.handlingUnit.id,
      note: null,
      data: {
        verb: p.verb,
        category: p.category.code,
        matched: p.classified?.matched ?? [],
        score: p.classified?.score ?? 0,
      },
    },
  ]
  const dispatch = decision.dispatch
  if (!dispatch) return { before, order: before, events }
  const step = stepOf(dispatch.moved.to)
  const order: Omit<OrderRow, 'id'> = {
    ...before,
    status: dispatch.moved.to,
    assigneeMemberId: dispatch.moved.assigneeMemberId ?? null,
    dueAt: step ? dueAtFor(now, step, p.category, options) : null,
  }
  events.push({
    at: now,
    type: dispatch.moved.event,
    fromStatus: 'placed',
    toStatus: dispatch.moved.to,
    actorRef: 'system',
    actorMemberId: null,
    unitId: p.handlingUnit.id,
    note: dispatch.to.name,
    data: { load: dispatch.to.load, policy: 'least-loaded' },
  })
  return { before, order, events, assignee: dispatch.to }
}

/** Inserts the orders and all their events in one statement; returns the new ids. */
/** The batch's orders and events, written with the commit. */
async function insertPlaced(tx: PipelinedTx, placing: readonly Placing[]) {
  const orderRows = placing.map(({ order: o }) => ({
    code: o.code,
    resident_ref: o.residentRef,
    resident_name: o.residentName,
    group_id: o.groupId,
    unit_id: o.unitId,
    category_id: o.categoryId,
    text: o.text,
    status: o.status,
    handling_unit_id: o.handlingUnitId,
    assignee_member_id: o.assigneeMemberId,
    due_at: o.dueAt?.toISOString() ?? null,
    at: o.createdAt.toISOString(),
  }))
  // Every placed event before any dispatch event: ids follow the timeline of each order.
  const eventRows = [0, 1]
    .flatMap((k) =>
      placing.flatMap(({ order, events }) => {
        const e = events[k]
        if (!e) return []
        return [
          {
            code: order.code,
            at: e.at.toISOString(),
            type: e.type,
            from_status: e.fromStatus,
            to_status: e.toStatus,
            actor_ref: e.actorRef,
            unit_id: e.unitId,
            note: e.note,
            data: e.data,
          },
        ]
      }),
    )
    .map((e, seq) => ({ ...e, seq }))
  const rows = await tx.commitWith<{
    kind: 'order' | 'event'
    id: string
    code: string
    type: string
  }>(
    sql`
      with input as (
        select * from json_to_recordset(${JSON.stringify(orderRows)}::json) as x(
          code text, resident_ref text, resident_name text, group_id int, unit_id int,
          category_id int, text text, status text, handling_unit_id int, assignee_member_id int,
          due_at timestamptz, at timestamptz)
      ), placed as (
        insert into orders (code, resident_ref, resident_name, group_id, unit_id, category_id,
          text, status, handling_unit_id, assignee_member_id, due_at, created_at, updated_at)
        select code, resident_ref, resident_name, group_id, unit_id, category_id, text, status,
          handling_unit_id, assignee_member_id, due_at, at, at
        from input
        returning id, code
      ), events as (
        insert into order_events (order_id, at, type, from_status, to_status, actor_ref,
          unit_id, note, data)
        select p.id, e.at, e.type, e.from_status, e.to_status, e.actor_ref, e.unit_id, e.note,
          e.data
        from json_to_recordset(${JSON.stringify(eventRows)}::json) as e(code text,
          at timestamptz, type text, from_status text, to_status text, actor_ref text,
          unit_id int, note text, data jsonb, seq int)
        join placed p on p.code = e.code
        order by e.seq
        returning id, order_id, type
      )
      select 'order' as kind, id::text as id, code, null as type from placed
      union all
      select 'event', e.id::text, p.code, e.type from events e join placed p on p.id = e.order_id`,
  )
  const orderIds = new Map<string, number>()
  const eventIds = new Map<string, number>()
  for (const r of rows) {
    if (r.kind === 'order') orderIds.set(r.code, Number(r.id))
    else eventIds.set(`${r.code}:${r.type}`, Number(r.id))
  }
  return { orderIds, eventIds }
}

/** One order's outcome once the batch is written. */
function outcomeOf(
  d: Decision,
  index: number,
  byIndex: ReadonlyMap<number, Placing>,
  ids: { orderIds: ReadonlyMap<string, number>; eventIds: ReadonlyMap<string, number> },
): Outcome {
  if (d.kind === 'duplicateOf') return { kind: 'duplicate', code: byIndex.get(d.index)!.order.code }
  if (d.kind !== 'place') return d
  const p = byIndex.get(index)!
  const id = ids.orderIds.get(p.order.code)
  const last = p.events.at(-1)!
  const eventId = ids.eventIds.get(`${p.order.code}:${last.type}`)
  if (id === undefined || eventId === undefined) {
    throw new Error(`order ${p.order.code} was not written`)
  }
  return {
    kind: 'placed',
    last: {
      before: { ...p.before, id },
      order: { ...p.order, id },
      event: { ...last, id: eventId, orderId: id },
    },
    ...(p.assignee ? { assignee: p.assignee } : {}),
  }
}

/**
 * Places a batch in one transaction, pipelined: `begin` goes with the locks, the read and the
 * codes, `commit` with the insert. Outcomes in the batch's order.
 */
export async function placeBatch(db: Db, batch: readonly Intake[]): Promise<Outcome[]> {
  return pipelinedTransaction(db, async (tx) => {
    const toDecide = batch.map(({ services, prepared }) => ({
      prepared,
      now: services.now(),
      options: orderOptions(services),
      timezone: services.timezone,
    }))
    // Sent together, run one after the other: the read starts (and takes its snapshot) only
    // once every lock is held, so it sees whatever the holders committed. A code is taken for
    // every order of the batch in the same round trip; those of orders refused (duplicates,
    // pace) are never used, a gap like a rolled-back transaction leaves.
    const [, seen, codes] = await Promise.all([
      lockBatch(tx, batch),
      readSeen(tx, toDecide),
      takeCodes(tx, batch.length),
    ])
    const decisions = decideBatch(toDecide, seen)
    const places = decisions.flatMap((d, index) => (d.kind === 'place' ? [{ d, index }] : []))
    const placing: Placing[] = places.map(({ d, index }, k) => ({
      index,
      ...rowsFor(toDecide[index]!, d, codes[k]!),
    }))
    const ids =
      placing.length > 0
        ? await insertPlaced(tx, placing)
        : { orderIds: new Map(), eventIds: new Map() }
    const byIndex = new Map(placing.map((p) => [p.index, p]))
    return decisions.map((d, index) => outcomeOf(d, index, byIndex, ids))
  })
}

// ---------------------------------------------------------------------------------------------
// Collecting batches.

/** At most this many orders in one transaction: a batch stays a few milliseconds of work. */
export const MAX_BATCH = 150

const committers = new WeakMap<Db, Batcher<Intake, Outcome>>()

/**
 * Places one order, in the next batch of its database: one batch in flight per database handle,
 * what arrives meanwhile waits for the next. The first order after a quiet spell starts at once
 * (on the next turn of the event loop, so orders handed over together go together). A batch that
 * fails is placed again one order at a time.
 */
export function submitIntake(intake: Intake): Promise<Outcome> {
  const { db, log } = intake.services
  const committer = batcherOf(
    committers,
    db,
    () =>
      new Batcher<Intake, Outcome>(
        async (batch) => {
          const outcomes = await placeBatch(db, batch)
          return new Map(batch.map((b, i) => [b, outcomes[i]!]))
        },
        {
          max: MAX_BATCH,
          onBatchError: (err, size) =>
            log.warn({ err, size }, 'intake batch failed: placing its orders one by one'),
        },
      ),
  )
  return committer.load(intake)
}
