/**
 * The four musts (四个必接): every open order has one running step (accept or complete) with a
 * due time in PostgreSQL and a delayed BullMQ job that wakes up then. If nobody acted, the order
 * climbs one tier and that tier's group is told; the clock restarts there. At the district it
 * stops climbing and stays on the overdue lists. The job only wakes the check up: the row decides.
 */
import type { Services } from '../core/services.ts'
import { ancestors } from '../network/queries.ts'
import type { StepDue } from '../queues/sla-queue.ts'
import { applyAction } from './act.ts'
import { afterMove } from './notify.ts'
import { overdueSteps } from './order-queries.ts'
import { categoryOf, type OrderRow } from './order-store.ts'
import { autoClose } from './rating.ts'
import { slaMinutes } from './sla-time.ts'
import { armSla } from './sla-timer.ts'
import { stepOf } from './state-machine.ts'
import { escalationWhy } from './templates.ts'

/** True when the job is the order's live timer (nothing moved the order since it was armed). */
function isLiveTimer(order: OrderRow, due: StepDue): boolean {
  return (
    stepOf(order.status) === due.step &&
    order.escalations === due.level &&
    order.dueAt?.getTime() === due.dueAt
  )
}

/** The step-due job: escalate when still due, or say when to look again. */
export async function onStepDue(
  services: Services,
  due: StepDue,
): Promise<{ retryAt: number } | undefined> {
  const now = services.now().getTime()
  if (due.dueAt > now) return { retryAt: Date.now() + (due.dueAt - now) }
  const log = services.log.child({ order: due.code, step: due.step, level: due.level })
  const guard = (order: OrderRow) => (isLiveTimer(order, due) ? undefined : 'stale')
  if (due.step === 'rate') {
    // Nobody to escalate to: the resident simply never rated. Close it; the points post.
    const { result, earned, held } = await autoClose(services, due.code, guard)
    if (!result.ok) {
      if (!result.stale) log.info({ reason: result.reason }, 'auto-close refused')
      return undefined
    }
    log.info('order closed without a rating')
    await afterMove(
      services,
      result,
      earned ? { points: earned } : held ? { held: { id: held.id, amount: held.amount } } : {},
    )
    return undefined
  }
  const result = await applyAction(services, {
    code: due.code,
    actor: { kind: 'system' },
    actorRef: 'system',
    guard,
    action: async (snapshot, tx, order) => {
      const category = await categoryOf(tx, order.categoryId)
      const minutes = category ? slaMinutes(category, due.step) : 0
      const chain = await ancestors(tx, snapshot.handlingUnit.id)
      const parent = chain[1]
      return {
        action: {
          kind: 'escalate',
          parent: parent && { id: parent.id, path: parent.path, tier: parent.tier },
        },
        note:
          due.step === 'accept'
            ? escalationWhy.acceptOverdue(minutes)
            : escalationWhy.completeOverdue(minutes),
      }
    },
    data: { step: due.step, level: due.level, auto: true },
  })
  if (!result.ok) {
    if (result.stale) log.debug('SLA timer stale: the order moved on')
    else log.info({ reason: result.reason }, 'SLA overdue, not escalated')
    return undefined
  }
  log.info({ to: result.order.handlingUnitId }, 'order escalated: step overdue')
  await afterMove(services, result)
  return undefined
}

/**
 * Re-arms overdue timers from the table (open orders below the district, done orders awaiting a
 * rating): a timer lost with Redis data, or never armed because Redis was down. Job ids collapse
 * with live timers.
 */
export async function sweepOverdue(services: Services, limit = 1_000): Promise<number> {
  const rows = await overdueSteps(services.db, services.now(), limit)
  for (const order of rows) await armSla(services, order)
  return rows.length
}
