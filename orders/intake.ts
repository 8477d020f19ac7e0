/**
 * 点单 / 求助 / 报修: one transaction classifies, routes, checks the resident's pace and near
 * duplicates, takes a code from the sequence, writes the order and its first event, and dispatches
 * to the least-loaded worker of the handling unit. Messages go out after the commit.
 *
 * An order is never lost to the catalogue: text no keyword matches becomes a 其他求助 (general)
 * order at the community station, whose staff dispatch it by hand. Asking the resident to pick a
 * category first would need a pending draft per person, and the elderly often never answer.
 */
import { and, count, eq, gte, inArray, sql } from 'drizzle-orm'
import { orders } from '../db/schema/orders.ts'
import { ancestors } from '../network/queries.ts'
import type { Unit } from '../network/types.ts'
import type { Services } from '../runtime/services.ts'
import { type Moved, moveIn } from './act.ts'
import { type Category, FALLBACK_CATEGORY, listCategories } from './catalogue.ts'
import { type Classification, classify, matchText } from './classify.ts'
import { nextOrderCode } from './code.ts'
import { candidatesFor, pickLeastLoaded } from './dispatch.ts'
import { afterMove } from './effects.ts'
import { orderOptions } from './options.ts'
import { routeUnit } from './route.ts'
import { dueAtFor } from './sla-time.ts'
import { OPEN_STATUSES } from './state-machine.ts'
import { appendEvent, type OrderRow, type Tx } from './store.ts'

export interface PlaceInput {
  residentRef: string
  residentName: string
  /** The group the order was typed in, and its unit (the resident's). */
  groupId: number | null
  unitId: number
  text: string
  verb: string
}

export type PlaceResult =
  | {
      kind: 'placed'
      order: OrderRow
      category: Category
      classified: Classification | undefined
      handlingUnit: Unit
      assignee?: string
    }
  | { kind: 'duplicate'; code: string }
  | { kind: 'limited'; max: number; minutes: number }

// Stored text is capped: the parser already refuses more than 500 characters, this guards
// other callers (demo, CLI) so a pasted novel never reaches a chat message or a log line.
const MAX_TEXT = 1_000
const MAX_NAME = 64

/** Text as stored: no NUL (PostgreSQL refuses it), no lone surrogates, bounded. */
export function storableText(text: string, max = MAX_TEXT): string {
  const clean = text
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing NUL is the point
    .replace(/\u0000/g, '')
    .trim()
  const points = [...clean]
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : clean
}

// Advisory lock namespaces (first key of pg_advisory_xact_lock(int, int)): arbitrary constants.
const LOCK_GROUP = 5_001
const LOCK_RESIDENT = 5_002

async function lockIntake(tx: Tx, groupId: number | null, residentRef: string): Promise<void> {
  // Group first, then resident, in every transaction: a fixed order cannot deadlock.
  if (groupId !== null)
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_GROUP}, ${groupId})`)
  await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_RESIDENT}, hashtext(${residentRef}))`)
}

/** An open order of the same group and category placed the same local day, if any. */
async function findDuplicate(
  tx: Tx,
  input: PlaceInput,
  category: Category,
  now: Date,
  timezone: string,
): Promise<OrderRow | undefined> {
  if (input.groupId === null) return undefined
  const sameDay = sql`(${orders.createdAt} at time zone ${timezone})::date = (${now.toISOString()}::timestamptz at time zone ${timezone})::date`
  const rows = await tx
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.groupId, input.groupId),
        eq(orders.categoryId, category.id),
        inArray(orders.status, [...OPEN_STATUSES]),
        sameDay,
      ),
    )
    .orderBy(orders.id)
  // 其他求助 says nothing about what is wanted: only the same person's same words are a repeat.
  if (category.code === FALLBACK_CATEGORY) {
    const words = matchText(input.text)
    return rows.find((r) => r.residentRef === input.residentRef && matchText(r.text) === words)
  }
  return rows[0]
}

export async function placeOrder(services: Services, input: PlaceInput): Promise<PlaceResult> {
  const { db } = services
  const options = orderOptions(services)
  const text = storableText(input.text)
  const residentName = storableText(input.residentName, MAX_NAME) || '居民'
  const categories = await listCategories(db)
  const classified = classify(text, categories)
  const category = classified?.category ?? categories.find((c) => c.code === FALLBACK_CATEGORY)
  if (!category) throw new Error(`service catalogue has no ${FALLBACK_CATEGORY} category`)
  const chain = await ancestors(db, input.unitId)
  const handlingUnit = routeUnit(chain, category.tier)
  if (!handlingUnit) throw new Error(`unit ${input.unitId} not found for an order`)

  const outcome = await db.transaction(async (tx) => {
    await lockIntake(tx, input.groupId, input.residentRef)
    const now = services.now()
    const duplicate = await findDuplicate(tx, input, category, now, services.timezone)
    if (duplicate) return { kind: 'duplicate' as const, code: duplicate.code }

    const since = new Date(now.getTime() - options.windowMinutes * 60_000)
    const [recent] = await tx
      .select({ n: count() })
      .from(orders)
      .where(and(eq(orders.residentRef, input.residentRef), gte(orders.createdAt, since)))
    if ((recent?.n ?? 0) >= options.ordersPerWindow) {
      return {
        kind: 'limited' as const,
        max: options.ordersPerWindow,
        minutes: options.windowMinutes,
      }
    }

    const code = await nextOrderCode(tx)
    const [order] = await tx
      .insert(orders)
      .values({
        code,
        residentRef: input.residentRef,
        residentName,
        groupId: input.groupId,
        unitId: input.unitId,
        categoryId: category.id,
        text,
        status: 'placed',
        handlingUnitId: handlingUnit.id,
        dueAt: dueAtFor(now, 'accept', category, options),
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    const placedEvent = await appendEvent(tx, {
      orderId: order!.id,
      at: now,
      type: 'placed',
      fromStatus: null,
      toStatus: 'placed',
      actorRef: input.residentRef,
      unitId: handlingUnit.id,
      note: null,
      data: {
        verb: input.verb,
        category: category.code,
        matched: classified?.matched ?? [],
        score: classified?.score ?? 0,
      },
    })
    let last: Moved = { before: order!, order: order!, event: placedEvent }
    let assignee: string | undefined
    // 其他求助 waits for the station's staff to read it and pick someone: nobody is auto-assigned.
    if (options.dispatch === 'least-loaded' && category.code !== FALLBACK_CATEGORY) {
      const pick = pickLeastLoaded(await candidatesFor(tx, handlingUnit.id))
      if (pick) {
        const moved = await moveIn(tx, services, {
          code,
          actor: { kind: 'system' },
          actorRef: 'system',
          action: {
            kind: 'dispatch',
            // A candidate holds a role on the handling unit itself: the rules will agree.
            assignee: {
              memberId: pick.memberId,
              name: pick.name,
              grants: [
                { role: 'grid_worker', unitId: handlingUnit.id, unitPath: handlingUnit.path },
              ],
            },
          },
          note: pick.name,
          data: { load: pick.load, policy: 'least-loaded' },
        })
        if (moved.ok) {
          last = moved
          assignee = pick.name
        }
      }
    }
    return { kind: 'placed' as const, last, assignee }
  })

  if (outcome.kind !== 'placed') return outcome
  const order = outcome.last.order
  services.log.info(
    {
      order: order.code,
      category: category.code,
      handlingUnitId: handlingUnit.id,
      assignee: outcome.assignee,
      score: classified?.score ?? 0,
    },
    'order placed',
  )
  await afterMove(services, outcome.last)
  return {
    kind: 'placed',
    order,
    category,
    classified,
    handlingUnit,
    ...(outcome.assignee ? { assignee: outcome.assignee } : {}),
  }
}
