/**
 * The rules of 点单, pure: what happens to each order of a batch, decided from what the batch's
 * one read found (intake-sql.ts `readSeen`). Walking the batch in arrival order gives exactly what
 * placing the orders one by one would: an order placed earlier in the batch is a near duplicate of
 * a later one and counts toward its resident's pace, and each dispatch raises its worker's load
 * before the next order picks.
 */
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
  /**
   * The need alone when the text carries more (an Open311 request's address): a repeat is judged
   * on it, so two needs at one address are not one need.
   */
  need?: string
  /** The classifier was unsure: placed as the fallback, the resident asked to pick one of these. */
  asking?: Category[]
}

/** An open order of a resident that a new one of theirs could repeat. */
interface OpenOrder {
  code: string
  categoryId: number
  residentRef: string
  text: string
  createdAt: Date
}

/** What the rules need from the database, read once for the whole batch. */
export interface Seen {
  /**
   * Open orders of the batch's (resident, category) pairs within the longest duplicate window,
   * oldest first. Only a resident's own orders are ever read: a neighbour's is never a repeat.
   */
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
}

export type Decision =
  | { kind: 'place'; dispatch?: { to: Candidate; moved: Extract<Transition, { ok: true }> } }
  /** A repeat of an open order already stored, or of an earlier order of this batch. */
  | { kind: 'duplicate'; code: string }
  | { kind: 'duplicateOf'; index: number }
  | { kind: 'limited'; max: number; minutes: number }

// Beyond this many code points the words compared are a paste's head: bounded work per pair.
const MAX_COMPARE = 200
// Share of the shorter text's character pairs the longer one must hold to say the same thing.
const SIMILAR_SHARE = 0.6
const DIGITS = /\d+/g

function bigrams(text: string): Set<string> {
  const chars = [...text.slice(0, MAX_COMPARE * 2)].slice(0, MAX_COMPARE)
  const out = new Set<string>()
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i]! + chars[i + 1]!)
  if (chars.length === 1) out.add(chars[0]!)
  return out
}

/**
 * Pure: whether two messages of one resident ask for the same thing. Compared as `matchText`
 * (no punctuation, spaces or case): the same words, one inside the other, or most of the
 * shorter one's character pairs in the longer one ("楼道灯坏了" ~ "楼道的灯坏了，快来修", but not
 * "厨房水管坏了"), unless both name numbers and they differ ("3栋灯坏了" is not "5栋灯坏了").
 */
export function similarNeed(a: string, b: string): boolean {
  const x = matchText(a)
  const y = matchText(b)
  if (x === y) return true
  if (x === '' || y === '') return false
  // Numbers name places and things (3栋, 5单元, 第2件): other numbers, another need.
  const nx = x.match(DIGITS)
  const ny = y.match(DIGITS)
  if (nx && ny && nx.join(',') !== ny.join(',')) return false
  if (x.includes(y) || y.includes(x)) return true
  const bx = bigrams(x)
  const by = bigrams(y)
  const [small, large] = bx.size <= by.size ? [bx, by] : [by, bx]
  let shared = 0
  for (const g of small) if (large.has(g)) shared++
  return shared / small.size >= SIMILAR_SHARE
}

/**
 * Each order of the batch in arrival order, as if placed one by one: the near duplicate first
 * (the same resident's open order of the same category, in similar words, within
 * `duplicateWindowMinutes`; another resident's order is never one), then the resident's pace,
 * then the least-loaded worker of the handling unit other than the resident themself.
 */
export function decideBatch(batch: readonly ToDecide[], seen: Seen): Decision[] {
  const loads = new Map(seen.loads)
  const placed: { index: number; order: OpenOrder }[] = []
  return batch.map((item, index): Decision => {
    const { prepared: p, now, options } = item
    const category = p.category
    const repeatSince = now.getTime() - options.duplicateWindowMinutes * 60_000
    const repeats = (o: OpenOrder) =>
      o.residentRef === p.residentRef &&
      o.categoryId === category.id &&
      o.createdAt.getTime() > repeatSince &&
      similarNeed(o.text, p.need ?? p.text)
    const stored = seen.open.find(repeats)
    if (stored) return { kind: 'duplicate', code: stored.code }
    const earlier = placed.find((e) => repeats(e.order))
    if (earlier) return { kind: 'duplicateOf', index: earlier.index }

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
    // Whoever placed the order never works it: a worker's own order goes to a colleague.
    const pick = pickLeastLoaded(
      (seen.candidates.get(p.handlingUnit.id) ?? []).flatMap((c) =>
        c.wechatId === p.residentRef ? [] : [{ ...c, load: loads.get(c.memberId) ?? 0 }],
      ),
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
          ref: pick.wechatId,
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
