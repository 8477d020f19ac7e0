/**
 * What the console does to one order, for its own page and for the board's bulk submit alike:
 * read it as the member may (readView, as 进度), dispatch it through `applyAction` (as chat's 派单)
 * or re-categorise it through `recategorize` (as 改类), with the member as the actor. So a bulk
 * submit is that many single actions: each order authorized, audited and told on its own.
 */
import { recordAudit } from '../../audit/record-audit.ts'
import type { Services } from '../../core/services.ts'
import { unitById } from '../../network/queries.ts'
import { findMemberByWechatId } from '../../network/roles.ts'
import { applyAction } from '../../orders/act.ts'
import { categoryNamed, listCategories } from '../../orders/catalogue.ts'
import { afterMove } from '../../orders/notify.ts'
import { findOrderByCode, type OrderRow } from '../../orders/order-store.ts'
import { recategorize } from '../../orders/recategorize.ts'
import { assigneeOf, type OrderActor } from '../../orders/state-machine.ts'
import { replies, unitLabel } from '../../orders/templates.ts'
import { readView } from '../../orders/views.ts'
import type { Staff } from '../auth.ts'

type Member = Staff['member']

export type OrderView = Exclude<ReturnType<typeof readView>, 'none'>

/** Done, with the line to show; or refused with the reason (the order's own words). */
export type OrderOutcome = { ok: true; message: string } | { ok: false; reason: string }

/** The signed-in member as the orders' state machine sees an actor. */
function actorOf(member: Member) {
  return {
    actor: {
      kind: 'person',
      ref: member.wechatId,
      memberId: member.id,
      grants: member.grants,
    } satisfies OrderActor,
    actorRef: member.wechatId,
    actorMemberId: member.id,
  }
}

/** The order behind a code typed in a URL or a form, if the member may read it, with how much. */
export async function readableOrder(
  services: Services,
  member: Member,
  rawCode: string,
): Promise<{ order: OrderRow; view: OrderView } | undefined> {
  const code = rawCode.toUpperCase()
  if (!/^[A-Z]\d{4,6}$/.test(code)) return undefined
  const order = await findOrderByCode(services.db, code)
  if (!order) return undefined
  const [unit, handling] = await Promise.all([
    unitById(services.db, order.unitId),
    unitById(services.db, order.handlingUnitId),
  ])
  const view = readView(
    order,
    { ref: member.wechatId, memberId: member.id, groupId: undefined, grants: member.grants },
    { unit: unit?.path ?? '', handling: handling?.path ?? '' },
  )
  return view === 'none' ? undefined : { order, view }
}

function auditRefusal(
  services: Services,
  member: Member,
  action: string,
  order: OrderRow,
  reason: string,
) {
  return recordAudit(services.db, {
    memberId: member.id,
    actorRef: member.wechatId,
    action,
    unitId: order.handlingUnitId,
    allowed: false,
    detail: { code: order.code, reason, via: 'web' },
  })
}

/** 派单 / 改派 to the member with `assigneeId` (a WeChat id from the form). */
export async function dispatchOrder(
  services: Services,
  member: Member,
  order: OrderRow,
  assigneeId: string,
): Promise<OrderOutcome> {
  const target = assigneeId ? await findMemberByWechatId(services.db, assigneeId) : undefined
  const result = target
    ? await applyAction(services, {
        code: order.code,
        action: { kind: 'dispatch', assignee: assigneeOf(target) },
        ...actorOf(member),
        note: target.name,
      })
    : ({ ok: false, reason: '没有这个处理人。' } as const)
  if (!result.ok) {
    await auditRefusal(services, member, 'order.dispatch', order, result.reason)
    return result
  }
  services.log.info(
    { order: order.code, event: result.event.type, actor: member.wechatId },
    'order moved',
  )
  await afterMove(services, result)
  return { ok: true, message: `已派给 ${target?.name ?? ''}` }
}

/**
 * 改类, as in chat: the station responsible for the order (the state machine checks the role over
 * both the unit it leaves and the one it goes to); re-routed, re-dispatched, learned.
 */
export async function recategorizeOrder(
  services: Services,
  member: Member,
  order: OrderRow,
  wanted: string,
): Promise<OrderOutcome> {
  const category = categoryNamed(await listCategories(services), wanted)
  const result = category
    ? await recategorize(services, { code: order.code, category, ...actorOf(member) })
    : ({ ok: false, reason: replies.unknownCategory(wanted) } as const)
  if (!result.ok || !category) {
    const reason = result.ok ? '' : result.reason
    await auditRefusal(services, member, 'order.recategorize', order, reason)
    return { ok: false, reason }
  }
  await recordAudit(services.db, {
    memberId: member.id,
    actorRef: member.wechatId,
    action: 'order.recategorize',
    unitId: result.handlingUnit.id,
    allowed: true,
    detail: { code: order.code, category: category.code, via: 'web' },
  })
  return {
    ok: true,
    message: replies.recategorized(
      order.code,
      category.name,
      unitLabel(result.handlingUnit),
      result.assignee,
    ),
  }
}
