/**
 * Asking back when the classifier is unsure. The order is placed at once (nothing is lost while
 * waiting) as 其他求助 at the community station, not announced, and the resident is asked
 * "您要办的是：1 … 2 … 3 …". Their digit, or a new description, in the same group settles it:
 * re-categorised, routed and dispatched (recategorize.ts). With no answer within `askSeconds`
 * a delayed job (`ask-<code>`) hands it to the station's staff as it is.
 */
import { cacheKey } from '../core/caches.ts'
import { orderOptions } from '../core/order-options.ts'
import type { Services } from '../core/services.ts'
import { enqueueAskExpiry } from '../queues/sla-queue.ts'
import { type Category, listCategories } from './catalogue.ts'
import { classify, menuOf, unsure } from './classify.ts'
import { learnedFor } from './learned-examples.ts'
import { afterMove } from './notify.ts'
import { appendEvent, findOrderByCode, lockOrderByCode, type OrderRow } from './order-store.ts'
import { closeQuestion, type OpenQuestion, openQuestion, putQuestion } from './questions.ts'
import { type Recategorized, recategorize } from './recategorize.ts'
import { slaQueueOf } from './sla-timer.ts'

// Residents this process asked who may still answer (group:resident): only their next order
// text costs a look-up, every other order goes straight to intake. Past this many the oldest
// go (their answer by digit still works; a new description becomes a new order).
const MAX_ASKED = 10_000

const ASKED = cacheKey<Set<string>>('orders.ask-back')
const askedOf = (services: Pick<Services, 'caches'>) => services.caches.of(ASKED, () => new Set())
const askedKey = (groupId: number, residentRef: string) => `${groupId}:${residentRef}`

/** Records the question of a just-placed order and arms its timeout. */
export async function askBack(
  services: Services,
  order: OrderRow,
  choices: readonly Category[],
): Promise<void> {
  if (order.groupId === null) return
  const asked = askedOf(services)
  if (asked.size >= MAX_ASKED) asked.delete(asked.values().next().value!)
  asked.add(askedKey(order.groupId, order.residentRef))
  await putQuestion(services.db, {
    orderId: order.id,
    residentRef: order.residentRef,
    groupId: order.groupId,
    choices: choices.map((c) => c.id),
  })
  try {
    await enqueueAskExpiry(
      slaQueueOf(services),
      { code: order.code },
      orderOptions(services).askSeconds * 1000,
    )
  } catch (err) {
    // The order's accept SLA still runs from placing: the sweep escalates it if Redis lost this.
    services.log.error({ err, order: order.code }, 'arming the ask-back timeout failed')
  }
}

/** The open question of a resident this process asked in this group, if any. */
export async function pendingQuestion(services: Services, residentRef: string, groupId: number) {
  const key = askedKey(groupId, residentRef)
  const asked = askedOf(services)
  if (!asked.has(key)) return undefined
  const open = await openQuestion(services.db, residentRef, groupId)
  if (!open) asked.delete(key)
  return open
}

export type Answer =
  | { kind: 'settled'; code: string; category: Category; result: Recategorized }
  | { kind: 'asking'; code: string; choices: Category[] }

/** A bare digit from a resident: the menu's item, or undefined (no question, or no such item). */
export async function answerWithDigit(
  services: Services,
  who: { residentRef: string; groupId: number },
  choice: number,
): Promise<Answer | undefined> {
  const open = await openQuestion(services.db, who.residentRef, who.groupId)
  const categoryId = open?.choices[choice - 1]
  if (!open || categoryId === undefined) return undefined
  const category = (await listCategories(services)).find((c) => c.id === categoryId)
  if (!category) return undefined
  return settle(services, open, who.residentRef, category)
}

/**
 * A new description while a question is open: classified on its own; clear enough and it
 * settles the question, else the resident is asked again with the new menu (same order).
 */
export async function answerWithText(
  services: Services,
  open: OpenQuestion,
  who: { residentRef: string; districtId: number | undefined },
  text: string,
): Promise<Answer> {
  const categories = await listCategories(services)
  const learned = who.districtId === undefined ? [] : await learnedFor(services, who.districtId)
  const classified = classify(text, categories, learned)
  if (classified && !unsure(classified)) {
    return settle(services, open, who.residentRef, classified.category, text)
  }
  const order = await findOrderByCode(services.db, open.code)
  if (!classified || !order) {
    const choices = open.choices.flatMap((id) => categories.filter((c) => c.id === id))
    return { kind: 'asking', code: open.code, choices }
  }
  const choices = menuOf(classified)
  await askBack(services, order, choices)
  return { kind: 'asking', code: open.code, choices }
}

/** Settles by a digit, or by a new description (`described`, kept on the timeline). */
async function settle(
  services: Services,
  open: OpenQuestion,
  residentRef: string,
  category: Category,
  described?: string,
): Promise<Answer> {
  const result = await recategorize(services, {
    code: open.code,
    category,
    actor: { kind: 'person', ref: residentRef, grants: [] },
    actorRef: residentRef,
    answer: described === undefined ? 'chosen' : 'described',
    ...(described === undefined ? {} : { description: described }),
  })
  return { kind: 'settled', code: open.code, category, result }
}

/**
 * The timeout: an order still waiting for its resident's choice goes to the station's staff as
 * 其他求助, flagged (the 【待分派】 message), with an `unanswered` event on its timeline. A
 * question already settled makes this a no-op.
 */
export async function expireQuestion(services: Services, code: string): Promise<void> {
  const moved = await services.db.transaction(async (tx) => {
    const order = await lockOrderByCode(tx, code)
    if (!order || !(await closeQuestion(tx, order.id, 'expired'))) return undefined
    // Cancelled or taken by hand meanwhile: nothing to hand over.
    if (order.status !== 'placed' || order.assigneeMemberId !== null) return undefined
    const event = await appendEvent(tx, {
      orderId: order.id,
      at: services.now(),
      type: 'unanswered',
      fromStatus: 'placed',
      toStatus: 'placed',
      actorRef: 'system',
      unitId: order.handlingUnitId,
    })
    return { before: order, order, event }
  })
  if (!moved) return
  services.log.info({ order: code }, 'ask-back unanswered, handed to the station')
  await afterMove(services, moved)
}
