/**
 * Group commit for 点单. Every commit waits for an fsync, so orders arriving together are placed
 * together: the intakes that come in while a batch is in flight wait for it, then go in the next
 * (a lone order goes beside a lone order, IN_FLIGHT). A batch is one transaction whatever its
 * size, in two round trips (db/pipelined.ts): `begin`, advisory locks, one read of everything
 * the rules need and codes together; then one insert of the orders and their events with the
 * `commit` (the statements: intake-sql.ts). What happens to each order is decided in between by
 * `decideBatch` (intake-rules.ts), a pure function that walks the batch in arrival order exactly
 * as placing them one by one would.
 *
 * A batch that fails is placed again one order at a time, each a batch of one, so one bad order
 * cannot take the others down with it. An order alone is the same code path.
 */
import { Batcher } from '../core/batcher.ts'
import { cacheKey } from '../core/caches.ts'
import { orderOptions } from '../core/order-options.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { pipelinedTransaction } from '../db/pipelined.ts'
import type { Moved } from './act.ts'
import { URGENT } from './classify.ts'
import type { Candidate } from './dispatch.ts'
import { type Decision, decideBatch, type Prepared, type ToDecide } from './intake-rules.ts'
import {
  insertPlaced,
  lockBatch,
  type NewEvent,
  type Placing,
  readSeen,
  takeCodes,
} from './intake-sql.ts'
import type { OrderRow } from './order-store.ts'
import { dueAtFor } from './sla-time.ts'
import { stepOf } from './state-machine.ts'

export interface Intake {
  services: Services
  prepared: Prepared
}

export type Outcome =
  | { kind: 'placed'; last: Moved; assignee?: Candidate }
  | { kind: 'duplicate'; code: string }
  | { kind: 'limited'; max: number; minutes: number }

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
    priority: p.classified?.safety ? URGENT : 0,
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
        confidence: p.classified?.confidence ?? 0,
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
const MAX_BATCH = 150

/**
 * A lone order does not wait for another lone order's commit: a second transaction starts beside
 * one holding a single order. Behind a batch of several, orders wait and go together (a burst
 * trickling into one-order transactions beside its batches would cost a commit each). Safe as two
 * processes' intakes are: the locks are taken in one global order (intake-sql.ts, lockBatch), and
 * each batch reads once it holds them.
 */
const IN_FLIGHT = { concurrency: 2, besideUpTo: 1 }

const COMMITTER = cacheKey<Batcher<Intake, Outcome>>('orders.intake-committer')

/**
 * Places one order, in the next batch of its Services: a batch at a time (two while they are
 * lone orders, IN_FLIGHT), what arrives meanwhile waits for the next. An order with a batch free
 * starts at once (on the next turn of the event loop, so orders handed over together go
 * together). A batch that fails is placed again one order at a time.
 */
export function submitIntake(intake: Intake): Promise<Outcome> {
  const { db, log, caches } = intake.services
  const committer = caches.of(
    COMMITTER,
    () =>
      new Batcher<Intake, Outcome>(
        async (batch) => {
          const outcomes = await placeBatch(db, batch)
          return new Map(batch.map((b, i) => [b, outcomes[i]!]))
        },
        {
          max: MAX_BATCH,
          ...IN_FLIGHT,
          onBatchError: (err, size) =>
            log.warn({ err, size }, 'intake batch failed: placing its orders one by one'),
        },
      ),
  )
  return committer.load(intake)
}
