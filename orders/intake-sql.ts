/**
 * The statements of a batch of 点单 (intake-batch.ts), each built for one round trip whatever the
 * batch's size: the advisory locks, one read of everything the rules need, the codes, and one
 * insert of the orders and their events that goes with the `commit`.
 */
import { sql } from 'drizzle-orm'
import type { PipelinedTx } from '../db/pipelined.ts'
import { orderCodeSeq } from '../db/schema/orders.ts'
import type { Candidate } from './dispatch.ts'
import type { Prepared, Seen, ToDecide } from './intake-rules.ts'
import { orderCodeFor } from './order-code.ts'
import type { OrderEventRow, OrderRow } from './order-store.ts'
import { OPEN_ORDER_STATUSES } from './state-machine.ts'

// Advisory lock namespaces (first key of pg_advisory_xact_lock(int, int)): arbitrary constants.
const LOCK_GROUP = 5_001
const LOCK_RESIDENT = 5_002
const OPEN_LIST = sql.raw(OPEN_ORDER_STATUSES.map((s) => `'${s}'`).join(', '))
const CANDIDATE_ROLES = sql.raw(`'grid_worker', 'volunteer'`)

/**
 * Every group, then every resident of the batch, each in ascending key order: one global order
 * of acquisition, so batches from several processes cannot deadlock. Other processes' intakes
 * of the same group or resident wait; their rows are visible to the read that follows.
 */
export async function lockBatch(
  tx: PipelinedTx,
  batch: readonly { prepared: Prepared }[],
): Promise<void> {
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
  open: { code: string; c: number; r: string; t: string; at: string }[]
  recent: { r: string; at: string }[]
  candidates: { u: number; m: number; name: string; wx: string }[]
  loads: { m: number; n: number }[]
}

/**
 * One statement for everything the rules need. Each part walks its index once per key of the
 * batch (lateral, fenced with `offset 0`): the planner, told ~100 rows for a JSON list, may
 * otherwise hash-join the whole orders table, which on a table of recent orders costs several
 * times the batch's own work (10,000 orders: 12 ms a batch against 2 ms).
 */
export async function readSeen(tx: PipelinedTx, batch: readonly ToDecide[]): Promise<Seen> {
  // A repeat is only ever the same resident's: their own orders of the category are read.
  const pairs = new Map<string, { r: string; c: number }>()
  for (const { prepared: p } of batch) {
    pairs.set(`${p.category.id}:${p.residentRef}`, { r: p.residentRef, c: p.category.id })
  }
  const refs = [...new Set(batch.map((b) => b.prepared.residentRef))]
  const units = [...new Set(batch.map((b) => b.prepared.handlingUnit.id))]
  const earliest = Math.min(...batch.map((b) => b.now.getTime()))
  const window = Math.max(...batch.map((b) => b.options.windowMinutes))
  const repeatWindow = Math.max(...batch.map((b) => b.options.duplicateWindowMinutes))
  const openSince = new Date(earliest - repeatWindow * 60_000).toISOString()
  const recentSince = new Date(earliest - window * 60_000).toISOString()
  const unitsJson = JSON.stringify(units)
  const [row] = await tx.run<{ seen: string }>(sql`
      with pairs as (
        select distinct * from json_to_recordset(${JSON.stringify([...pairs.values()])}::json) as p(r text, c int)
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
          select coalesce(json_agg(json_build_object('code', o.code, 'c', o.category_id,
            'r', o.resident_ref, 't', o.text, 'at', o.created_at) order by o.id), '[]')
          from pairs p cross join lateral (
            select * from orders o
            where o.resident_ref = p.r and o.created_at >= ${openSince}::timestamptz
              and o.category_id = p.c
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

export async function takeCodes(tx: PipelinedTx, n: number): Promise<string[]> {
  if (n === 0) return []
  const rows = await tx.run<{ n: string }>(
    sql`select nextval(${sql.raw(`'${orderCodeSeq.seqName}'`)})::text as n from generate_series(1, ${n}::int)`,
  )
  return rows
    .map((r) => Number(r.n))
    .sort((a, b) => a - b)
    .map(orderCodeFor)
}

export type NewEvent = Omit<OrderEventRow, 'id' | 'orderId'>

/** One order to write: its row as placed, as written (dispatched when someone was picked), its events. */
export interface Placing {
  index: number
  before: Omit<OrderRow, 'id'>
  order: Omit<OrderRow, 'id'>
  events: NewEvent[]
  assignee?: Candidate
}

/** The batch's orders and all their events in one statement, sent with the commit; their new ids. */
export async function insertPlaced(tx: PipelinedTx, placing: readonly Placing[]) {
  const orderRows = placing.map(({ order: o }) => ({
    code: o.code,
    resident_ref: o.residentRef,
    resident_name: o.residentName,
    group_id: o.groupId,
    unit_id: o.unitId,
    category_id: o.categoryId,
    priority: o.priority,
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
          category_id int, priority int, text text, status text, handling_unit_id int, assignee_member_id int,
          due_at timestamptz, at timestamptz)
      ), placed as (
        insert into orders (code, resident_ref, resident_name, group_id, unit_id, category_id,
          priority, text, status, handling_unit_id, assignee_member_id, due_at, created_at,
          updated_at)
        select code, resident_ref, resident_name, group_id, unit_id, category_id, priority, text,
          status, handling_unit_id, assignee_member_id, due_at, at, at
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
