/**
 * 评价: the resident closes the loop. A rating of 3-5 stars (or any rating once the reopen
 * allowance is spent) closes the order and, in the same transaction, credits the volunteer's
 * hours to the love bank; 1-2 stars reopens it for whoever did the work.
 */
import { eq } from 'drizzle-orm'
import { localDay, parseLocalTime } from '../core/local-time.ts'
import { orderOptions } from '../core/order-options.ts'
import type { Services } from '../core/services.ts'
import { members } from '../db/schema/network.ts'
import { type ActResult, applyAction, type Moved } from './act.ts'
import { hoursFromNote } from './hours.ts'
import { categoryOf, lastDoneReport, type OrderRow, type Tx } from './order-store.ts'
import {
  earnedSince,
  type HeldPoints,
  holdForReview,
  issuanceAccount,
  lockMemberPoints,
  memberAccount,
  memberBalance,
  postTx,
} from './points.ts'
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

/**
 * Hours the volunteer reported at the last 完成, or the catalogue's for the category; never more
 * than the category's `maxHours`, whatever the note claims.
 */
async function hoursWorked(tx: Tx, orderId: number, categoryId: number | null): Promise<number> {
  const done = await lastDoneReport(tx, orderId)
  const category = await categoryOf(tx, categoryId)
  const max = category ? Number(category.maxHours) : 0
  const reported = done?.data?.hours
  const claimed =
    typeof reported === 'number' && reported > 0 ? reported : hoursFromNote(done?.note)
  const hours = claimed ?? (category ? Number(category.hours) : 0)
  return Math.min(hours, max)
}

/** The start of `at`'s local day in the district's zone. */
function dayStart(at: Date, timezone: string): Date {
  return parseLocalTime(localDay(at, timezone), timezone) ?? at
}

interface Outcome {
  earned?: Earned
  held?: Held
}

interface Held extends HeldPoints {
  hours: number
}

/**
 * Credits the volunteer's hours when a move closes the order (a rating, or the auto-close), in
 * the move's own transaction: the order is never closed without its points, nor paid twice.
 * Nobody earns from an order they placed themself; an earning that would take the volunteer
 * over `pointsPerDay` waits for a station's approval instead (points_pending).
 */
async function postEarning(services: Services, tx: Tx, moved: Moved): Promise<Outcome> {
  const memberId = moved.order.assigneeMemberId
  if (moved.event.type !== 'rated' || memberId === null) return {}
  const [assignee] = await tx
    .select({ wechatId: members.wechatId })
    .from(members)
    .where(eq(members.id, memberId))
  if (assignee?.wechatId === moved.order.residentRef) {
    services.log.warn(
      { order: moved.order.code, memberId },
      'no love-bank points: the volunteer placed this order',
    )
    return {}
  }
  const options = orderOptions(services)
  const hours = await hoursWorked(tx, moved.order.id, moved.order.categoryId)
  const amount = pointsFor(hours, options.pointsPerHour)
  if (amount <= 0) return {}
  const txId = earningTxId(moved.order.id)
  const reason = pointsTexts.earned(moved.order.code, hours)
  const now = services.now()
  await lockMemberPoints(tx, memberId)
  const today = await earnedSince(tx, memberId, dayStart(now, services.timezone))
  if (today + amount > options.pointsPerDay) {
    const held = await holdForReview(tx, {
      txId,
      memberId,
      orderId: moved.order.id,
      amount,
      reason,
      at: now,
    })
    return { held: { ...held, hours } }
  }
  const posting = transfer(
    txId,
    await issuanceAccount(tx),
    await memberAccount(tx, memberId),
    amount,
    reason,
  )
  await postTx(tx, posting, moved.order.id, now)
  return { earned: { memberId, hours, amount, balance: await memberBalance(tx, memberId), txId } }
}

export interface Closed {
  result: ActResult
  earned?: Earned
  /** Points over the daily cap, waiting for `points approve`: not in the balance. */
  held?: Held
}

function closed(services: Services, code: string, result: ActResult, out: Outcome): Closed {
  if (out.held) {
    services.log.info({ order: code, ...out.held }, 'love-bank points held for review')
    return { result, held: out.held }
  }
  if (!out.earned) return { result }
  services.log.info({ order: code, ...out.earned }, 'love-bank points posted')
  return { result, earned: out.earned }
}

export async function rateOrder(services: Services, input: RateInput): Promise<Closed> {
  let earned: Outcome = {}
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
  let earned: Outcome = {}
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
