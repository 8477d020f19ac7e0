/**
 * The order's life, pure: given the order as it is, an action and who asks, either the next
 * status and the event to append, or a refusal with a Chinese reason. No I/O; the caller locks the
 * row, asks here, and writes the answer.
 *
 *   placed ─派单→ dispatched ─接单→ accepted ─完成→ done ─评价→ rated (closed)
 *      │             │ 退单           │ 退单            └─ ≤2 星 → reopened (back to dispatched)
 *      └─────────────┴─ 上报/超时 → escalated (one tier up, must be taken there) ─接单/派单→ …
 *   撤单 (its resident only) → cancelled, from any open status
 */
import type { Role } from '../db/schema/network.ts'
import type { OrderStatus } from '../db/schema/orders.ts'
import { findCoveringGrant, isWithin, type RoleGrant } from '../network/permissions.ts'
import { refusals } from './templates.ts'

const EVENT_TYPES = [
  'placed',
  'dispatched',
  'accepted',
  'done',
  'rated',
  'returned',
  'escalated',
  'cancelled',
  'reopened',
  'recategorized',
  'unanswered',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** Statuses in which someone still owes the resident something. */
export const OPEN_ORDER_STATUSES = [
  'placed',
  'dispatched',
  'accepted',
  'returned',
  'escalated',
] as const
export type OpenStatus = (typeof OPEN_ORDER_STATUSES)[number]

function isOpen(status: OrderStatus): status is OpenStatus {
  return (OPEN_ORDER_STATUSES as readonly string[]).includes(status)
}

export type Step = 'accept' | 'complete' | 'rate'

/**
 * The SLA step running in a status: waiting for someone to take it, for it to be done, or (once
 * done) for the resident's rating, after which it closes itself.
 */
export function stepOf(status: OrderStatus): Step | undefined {
  if (status === 'accepted') return 'complete'
  if (status === 'done') return 'rate'
  return isOpen(status) ? 'accept' : undefined
}

/** Roles that may take and work an order; roles that may dispatch and escalate. */
export const WORKER_ROLES: readonly Role[] = ['grid_worker', 'volunteer', 'station_staff', 'admin']
const STAFF_ROLES: readonly Role[] = ['station_staff', 'admin']

interface UnitRef {
  id: number
  path: string
  tier: number
}

/** What the rules need to know about an order. */
export interface OrderSnapshot {
  code: string
  status: OrderStatus
  residentRef: string
  handlingUnit: UnitRef
  assigneeMemberId: number | null
  /** How many times a low rating reopened it already. */
  reopens: number
}

export type OrderActor =
  | { kind: 'system' }
  | { kind: 'person'; ref: string; memberId?: number; grants: readonly RoleGrant[] }

export interface Assignee {
  memberId: number
  /**
   * Their 微信号: compared with the order's resident, who never works their own order. Every
   * dispatch in the app gives it (intake, 派单); only pure tests about other rules leave it out.
   */
  ref?: string
  name: string
  grants: readonly RoleGrant[]
}

/** A known member as the one a 派单 names (chat and the console pick them the same way). */
export function assigneeOf(member: {
  id: number
  wechatId: string
  name: string
  grants: readonly RoleGrant[]
}): Assignee {
  return { memberId: member.id, ref: member.wechatId, name: member.name, grants: member.grants }
}

export type OrderAction =
  | { kind: 'dispatch'; assignee: Assignee }
  | { kind: 'accept' }
  | { kind: 'complete' }
  | { kind: 'return' }
  /** `parent` is the handling unit's parent, undefined at the district. */
  | { kind: 'escalate'; parent: UnitRef | undefined }
  | { kind: 'cancel' }
  | { kind: 'rate'; stars: number }
  /** The resident never rated: the system closes the order (the volunteer's points post). */
  | { kind: 'autoClose' }
  /**
   * 改类: another category, so another handling unit (`to`), nobody assigned; dispatch follows.
   * `answer`: the resident choosing from the menu they were asked, while nobody has it yet.
   */
  | { kind: 'recategorize'; to: UnitRef; answer?: boolean }

export interface Policy {
  maxReopens: number
}

export type Transition =
  | {
      ok: true
      to: OrderStatus
      event: EventType
      /** The assignee after the move: null clears it, undefined keeps it. */
      assigneeMemberId?: number | null
      /** Set when the order moves to another unit (escalation). */
      handlingUnit?: UnitRef
    }
  | { ok: false; reason: string }

const refuse = (reason: string): Transition => ({ ok: false, reason })

const CLOSED_REASON: Partial<Record<OrderStatus, (code: string) => string>> = {
  done: refusals.alreadyDone,
  rated: refusals.alreadyDone,
  cancelled: refusals.alreadyCancelled,
}

/** An action on a closed order: the same reason whatever the action (except rating a done one). */
function closedReason(order: OrderSnapshot): string | undefined {
  return CLOSED_REASON[order.status]?.(order.code)
}

function isResident(order: OrderSnapshot, actor: OrderActor): boolean {
  return actor.kind === 'person' && actor.ref === order.residentRef
}

function covers(actor: OrderActor, roles: readonly Role[], unitPath: string): boolean {
  return actor.kind === 'person' && findCoveringGrant(actor.grants, roles, unitPath) !== undefined
}

function isAssignee(order: OrderSnapshot, actor: OrderActor): boolean {
  return (
    actor.kind === 'person' &&
    actor.memberId !== undefined &&
    order.assigneeMemberId !== null &&
    actor.memberId === order.assigneeMemberId
  )
}

/**
 * A worker may be given an order of a unit they cover (a community volunteer, a grid order) or
 * of a unit at or below one they work for (a grid worker, a community order they can help with).
 */
function mayWork(grants: readonly RoleGrant[], unitPath: string): boolean {
  return grants.some(
    (g) =>
      WORKER_ROLES.includes(g.role) &&
      (isWithin(unitPath, g.unitPath) || isWithin(g.unitPath, unitPath)),
  )
}

export function transition(
  order: OrderSnapshot,
  action: OrderAction,
  actor: OrderActor,
  policy: Policy = { maxReopens: 1 },
): Transition {
  const { code } = order
  const unitPath = order.handlingUnit.path
  switch (action.kind) {
    case 'dispatch': {
      if (!(actor.kind === 'system' || covers(actor, STAFF_ROLES, unitPath))) {
        return refuse(refusals.dispatchNotStaff(code))
      }
      if (!isOpen(order.status)) return refuse(closedReason(order) ?? refusals.cannot(code))
      if (!mayWork(action.assignee.grants, unitPath)) {
        return refuse(refusals.notAWorkerHere(action.assignee.name))
      }
      // Nobody works, and so earns points from, an order they placed themself.
      if (action.assignee.ref === order.residentRef) {
        return refuse(refusals.ownOrderAssignee(code, action.assignee.name))
      }
      return {
        ok: true,
        to: 'dispatched',
        event: 'dispatched',
        assigneeMemberId: action.assignee.memberId,
      }
    }
    case 'accept': {
      if (actor.kind !== 'person') return refuse(refusals.cannot(code))
      if (!isOpen(order.status)) return refuse(closedReason(order) ?? refusals.cannot(code))
      if (isResident(order, actor)) return refuse(refusals.ownOrderAccept(code))
      if (order.status === 'accepted') {
        return refuse(
          isAssignee(order, actor) ? refusals.youAccepted(code) : refusals.takenByOther(code),
        )
      }
      if (order.assigneeMemberId !== null) {
        if (!isAssignee(order, actor)) return refuse(refusals.assignedToOther(code))
      } else if (!covers(actor, WORKER_ROLES, unitPath)) {
        return refuse(refusals.notYourArea(code))
      }
      return {
        ok: true,
        to: 'accepted',
        event: 'accepted',
        assigneeMemberId: actor.memberId ?? null,
      }
    }
    case 'complete': {
      if (!isOpen(order.status)) return refuse(closedReason(order) ?? refusals.cannot(code))
      if (order.status !== 'accepted') return refuse(refusals.acceptFirst(code))
      if (!isAssignee(order, actor)) return refuse(refusals.onlyAssigneeCompletes(code))
      return { ok: true, to: 'done', event: 'done' }
    }
    case 'return': {
      if (!isOpen(order.status)) return refuse(closedReason(order) ?? refusals.cannot(code))
      if (order.status !== 'dispatched' && order.status !== 'accepted') {
        return refuse(refusals.notYoursToReturn(code))
      }
      if (!isAssignee(order, actor)) return refuse(refusals.notYoursToReturn(code))
      return { ok: true, to: 'returned', event: 'returned', assigneeMemberId: null }
    }
    case 'escalate': {
      if (!(actor.kind === 'system' || covers(actor, STAFF_ROLES, unitPath))) {
        return refuse(refusals.escalateNotStaff(code))
      }
      if (!isOpen(order.status)) return refuse(closedReason(order) ?? refusals.cannot(code))
      if (!action.parent) return refuse(refusals.atTop(code))
      return {
        ok: true,
        to: 'escalated',
        event: 'escalated',
        assigneeMemberId: null,
        handlingUnit: action.parent,
      }
    }
    case 'cancel': {
      if (!isResident(order, actor)) return refuse(refusals.onlyResidentCancels(code))
      if (!isOpen(order.status)) return refuse(closedReason(order) ?? refusals.cannot(code))
      return { ok: true, to: 'cancelled', event: 'cancelled' }
    }
    case 'rate': {
      if (!isResident(order, actor)) return refuse(refusals.onlyResidentRates(code))
      if (order.status === 'rated') return refuse(refusals.alreadyRated(code))
      if (order.status === 'cancelled') return refuse(refusals.alreadyCancelled(code))
      if (order.status !== 'done') return refuse(refusals.notDoneYet(code))
      if (!Number.isInteger(action.stars) || action.stars < 1 || action.stars > 5) {
        return refuse(refusals.badStars)
      }
      // A low rating sends the work back to whoever did it, once; after that a rating closes.
      if (action.stars <= 2 && order.reopens < policy.maxReopens) {
        return { ok: true, to: 'dispatched', event: 'reopened' }
      }
      return { ok: true, to: 'rated', event: 'rated' }
    }
    case 'recategorize': {
      if (!isOpen(order.status)) return refuse(closedReason(order) ?? refusals.cannot(code))
      if (action.answer) {
        if (!isResident(order, actor) || order.status !== 'placed') {
          return refuse(refusals.cannot(code))
        }
      } else if (
        // Staff answer for the order where it is and where it goes: both must be theirs.
        !(covers(actor, STAFF_ROLES, unitPath) && covers(actor, STAFF_ROLES, action.to.path))
      ) {
        return refuse(refusals.recategorizeNotStaff(code))
      }
      return {
        ok: true,
        to: 'placed',
        event: 'recategorized',
        assigneeMemberId: null,
        handlingUnit: action.to,
      }
    }
    case 'autoClose': {
      if (actor.kind !== 'system') return refuse(refusals.cannot(code))
      if (order.status !== 'done') return refuse(closedReason(order) ?? refusals.notDoneYet(code))
      return { ok: true, to: 'rated', event: 'rated' }
    }
  }
}
