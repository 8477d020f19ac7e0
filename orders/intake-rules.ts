/**
 * The rules of 点单, pure: what happens to each order of a batch, decided from what the batch's
 * one read found (intake-sql.ts `readSeen`). Walking the batch in arrival order gives exactly what
 * placing the orders one by one would: an order placed earlier in the batch is a near duplicate of
 * a later one and counts toward its resident's pace, and each dispatch raises its worker's load
 * before the next order picks.
 */
import { localDay } from '../core/local-time.ts'
import type { OrderOptions } from '../core/order-options.ts'
import type { Unit } from '../network/types.ts'
import { type Category, FALLBACK_CATEGORY } from './catalogue.ts'
import { type Classification, matchText } from './classify.ts'
import { type Candidate, pickLeastLoaded } from './dispatch.ts'
import { type Transition, transition } from './state-machine.ts'

/** A 点单 as the chat (or the demo, or a test) hands it over. */
export interface PlaceInput {
  residentRef: string
  residentName: string
  /** The group the order was typed in, and its unit (the resident's). */
  groupId: number | null
  unitId: number
  text: string
  verb: string
}

/** An order ready to place: its text cleaned, classified and routed. */
export interface Prepared extends PlaceInput {
  category: Category
  classified: Classification | undefined
  handlingUnit: Unit
}

/** An open order that a new one of the same group and category could repeat. */
interface OpenOrder {
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
