/**
 * 评价: the resident closes the loop. A rating of 3-5 stars (or any rating once the reopen
 * allowance is spent) closes the order and, in the same transaction, credits the volunteer's
 * hours to the love bank; 1-2 stars reopens it for whoever did the work.
 */
import { orderOptions } from '../core/order-options.ts'
import type { Services } from '../core/services.ts'
import { type ActResult, applyAction, type Moved } from './act.ts'
import { hoursFromNote } from './hours.ts'
import { categoryOf, lastDoneReport, type OrderRow, type Tx } from './order-store.ts'
import { issuanceAccount, memberAccount, memberBalance, postTx } from './points.ts'
import { pointsFor, transfer } from './points-ledger.ts'
import type { OrderActor } from './state-machine.ts'
import { autoCloseNote, pointsTexts } from './templates.ts'

export interface RateInput {
  code: string
  stars: number
  comment?: string | undefined
  actor: OrderActor
  actorRef: string
  actorMemberId?: number | null
}

interface Earned {
  memberId: number
  hours: number
  amount: number
  balance: number
  txId: string
}

/** The txId of an order's earning: one per order, whatever retries or re-ratings happen. */
export function earningTxId(orderId: number): string {
  return `order-${orderId}-rated`
}

/** Hours the volunteer reported at the last 完成, or the catalogue's for the category. */
async function hoursWorked(tx: Tx, orderId: number, categoryId: number | null): Promise<number> {
  const done = await lastDoneReport(tx, orderId)
  const reported = done?.data?.hours
  if (typeof reported === 'number' && reported > 0) return reported
  const fromNote = hoursFromNote(done?.note)
  if (fromNote !== undefined) return fromNote
  const category = await categoryOf(tx, categoryId)
  return category ? Number(category.hours) : 0
}

/**
 * Credits the volunteer's hours when a move closes the order (a rating, or the auto-close), in
 * the move's own transaction: the order is never closed without its points, nor paid twice.
 */
async function postEarning(services: Services, tx: Tx, moved: Moved): Promise<Earned | undefined> {
  const memberId = moved.order.assigneeMemberId
  if (moved.event.type !== 'rated' || memberId === null) return undefined
  const hours = await hoursWorked(tx, moved.order.id, moved.order.categoryId)
  const amount = pointsFor(hours, orderOptions(services).pointsPerHour)
  if (amount <= 0) return undefined
  const txId = earningTxId(moved.order.id)
  const posting = transfer(
    txId,
    await issuanceAccount(tx),
    await memberAccount(tx, memberId),
    amount,
    pointsTexts.earned(moved.order.code, hours),
  )
  await postTx(tx, posting, moved.order.id, services.now())
  return { memberId, hours, amount, balance: await memberBalance(tx, memberId), txId }
}

export interface Closed {
  result: ActResult
  earned?: Earned
}

function closed(
  services: Services,
  code: string,
  result: ActResult,
  earned: Earned | undefined,
): Closed {
  if (!earned) return { result }
  services.log.info({ order: code, ...earned }, 'love-bank points posted')
  return { result, earned }
}

export async function rateOrder(services: Services, input: RateInput): Promise<Closed> {
  let earned: Earned | undefined
  const result = await applyAction(services, {
    code: input.code,
    actor: input.actor,
    actorRef: input.actorRef,
    actorMemberId: input.actorMemberId ?? null,
    action: { kind: 'rate', stars: input.stars },
    note: `${input.stars} 星${input.comment ? `：${input.comment}` : ''}`,
    data: { stars: input.stars, ...(input.comment ? { comment: input.comment } : {}) },
    patch: { rating: input.stars },
    within: async (tx, moved) => {
      earned = await postEarning(services, tx, moved)
    },
  })
  return closed(services, input.code, result, earned)
}

/**
 * The rating wait ran out: the system closes the order without stars. `guard` (from the SLA
 * job) stops it when the order moved on meanwhile.
 */
export async function autoClose(
  services: Services,
  code: string,
  guard: (order: OrderRow) => string | undefined,
): Promise<Closed> {
  let earned: Earned | undefined
  const result = await applyAction(services, {
    code,
    actor: { kind: 'system' },
    actorRef: 'system',
    action: { kind: 'autoClose' },
    note: autoCloseNote(orderOptions(services).rateWaitMinutes),
    data: { auto: true },
    guard,
    within: async (tx, moved) => {
      earned = await postEarning(services, tx, moved)
    },
  })
  return closed(services, code, result, earned)
}
