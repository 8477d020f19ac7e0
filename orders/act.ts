/**
 * One move of an order, in one transaction: lock the row, ask the state machine, write the new
 * status and the event (with actor and note), restart the SLA clock. Chat handlers and the SLA
 * worker both come through here, so every change is checked the same way and lands on the timeline.
 */
import { orderOptions } from '../core/order-options.ts'
import type { Services } from '../core/services.ts'
import {
  appendEvent,
  categoryOf,
  lockOrderByCode,
  type OrderEventRow,
  type OrderRow,
  snapshotOf,
  type Tx,
  updateOrder,
} from './order-store.ts'
import { dueAtFor } from './sla-time.ts'
import {
  type OrderAction,
  type OrderActor,
  type OrderSnapshot,
  stepOf,
  transition,
} from './state-machine.ts'
import { replies } from './templates.ts'

export interface ActRequest {
  code: string
  actor: OrderActor
  /** Who, for the timeline: a 微信号, or 'system'. */
  actorRef: string
  actorMemberId?: number | null
  note?: string | null
  data?: Record<string, unknown>
  /**
   * The action, or how to build it from the locked order (escalation needs its parent); a
   * builder may also give the note, when only the locked row can say it.
   */
  action:
    | OrderAction
    | ((snapshot: OrderSnapshot, tx: Tx, order: OrderRow) => Promise<OrderAction | Built>)
  /** Checked under the lock before the rules: a reason to stop quietly (a stale SLA timer). */
  guard?: (order: OrderRow) => string | undefined
  /** More writes in the same transaction once the move is allowed (the rating's points). */
  within?: (tx: Tx, moved: Moved) => Promise<void>
  /** Extra columns to set with the move (the rating; 改类's category and priority). */
  patch?: Partial<Pick<OrderRow, 'rating' | 'categoryId' | 'priority'>>
}

interface Built {
  action: OrderAction
  note?: string
}

export interface Moved {
  before: OrderRow
  order: OrderRow
  event: OrderEventRow
}

export type ActResult =
  | ({ ok: true } & Moved)
  | { ok: false; reason: string; stale?: boolean; order?: OrderRow }

export async function applyAction(services: Services, req: ActRequest): Promise<ActResult> {
  return services.db.transaction((tx) => moveIn(tx, services, req))
}

async function moveIn(tx: Tx, services: Services, req: ActRequest): Promise<ActResult> {
  const options = orderOptions(services)
  const before = await lockOrderByCode(tx, req.code)
  if (!before) return { ok: false, reason: replies.notFound(req.code) }
  const stale = req.guard?.(before)
  if (stale !== undefined) return { ok: false, reason: stale, stale: true, order: before }

  const snapshot = await snapshotOf(tx, before)
  const built =
    typeof req.action === 'function' ? await req.action(snapshot, tx, before) : req.action
  const { action, note } = 'kind' in built ? { action: built, note: req.note } : built
  const moved = transition(snapshot, action, req.actor, { maxReopens: options.maxReopens })
  if (!moved.ok) return { ok: false, reason: moved.reason, order: before }

  const now = services.now()
  const category = await categoryOf(tx, req.patch?.categoryId ?? before.categoryId)
  const step = stepOf(moved.to)
  // Every move restarts the clock of the step it lands in: a re-dispatch gives the new
  // assignee the full accept window, an escalation gives the upper tier the same.
  const dueAt = step && category ? dueAtFor(now, step, category, options) : null
  const escalations = before.escalations + (moved.event === 'escalated' ? 1 : 0)
  const order = await updateOrder(tx, before.id, {
    status: moved.to,
    ...(moved.assigneeMemberId !== undefined ? { assigneeMemberId: moved.assigneeMemberId } : {}),
    ...(moved.handlingUnit ? { handlingUnitId: moved.handlingUnit.id } : {}),
    ...req.patch,
    escalations,
    dueAt,
    updatedAt: now,
  })
  const event = await appendEvent(tx, {
    orderId: before.id,
    at: now,
    type: moved.event,
    fromStatus: before.status,
    toStatus: moved.to,
    actorRef: req.actorRef,
    actorMemberId: req.actorMemberId ?? null,
    unitId: order.handlingUnitId,
    note: note ?? null,
    data: req.data ?? null,
  })
  const result = { before, order, event }
  await req.within?.(tx, result)
  return { ok: true, ...result }
}
