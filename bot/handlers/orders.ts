/**
 * Chat commands of the service loop: 进度 … 评价 (residents; 点单 is order-requests.ts), 接单 … 我的任务 (workers), 派单 and
 * 上报 (station staff). The pipeline already checked the role against the group's unit; each
 * handler here checks the order itself (whose it is, where it is) through the state machine, calls
 * one domain function and renders the reply. Refusals are audited like the pipeline's.
 */
import { recordAudit } from '../../audit/record-audit.ts'
import { ancestors, unitById } from '../../network/queries.ts'
import { findMembersByNameOrId } from '../../network/roles.ts'
import { type ActResult, applyAction } from '../../orders/act.ts'
import { type Answer, answerWithDigit } from '../../orders/ask-back.ts'
import {
  type Category,
  categoryNamed,
  FALLBACK_CATEGORY,
  listCategories,
} from '../../orders/catalogue.ts'
import { hoursFromNote } from '../../orders/hours.ts'
import { afterMove } from '../../orders/notify.ts'
import { findOrderByCode } from '../../orders/order-store.ts'
import { rateOrder } from '../../orders/rating.ts'
import { recategorize } from '../../orders/recategorize.ts'
import type { OrderActor } from '../../orders/state-machine.ts'
import { assigneeOf, WORKER_ROLES } from '../../orders/state-machine.ts'
import { replies, unitLabel } from '../../orders/templates.ts'
import { menuText, readView, renderProgress, tasksOf } from '../../orders/views.ts'
import type { Intent } from '../commands/types.ts'
import type { ChatContext, Handler, SomeHandlers } from '../context.ts'

function actorOf(ctx: ChatContext): OrderActor {
  return {
    kind: 'person',
    ref: ctx.incoming.talkerId,
    ...(ctx.member ? { memberId: ctx.member.id } : {}),
    grants: ctx.member?.grants ?? [],
  }
}

function who(ctx: ChatContext) {
  return {
    actor: actorOf(ctx),
    actorRef: ctx.incoming.talkerId,
    actorMemberId: ctx.member?.id ?? null,
  }
}

/** An order command in the audit log, with the talker and the room it was typed in. */
function auditOrder(
  ctx: ChatContext,
  intent: Intent,
  allowed: boolean,
  detail: Record<string, unknown>,
): Promise<unknown> {
  return recordAudit(ctx.services.db, {
    memberId: ctx.member?.id ?? null,
    actorRef: ctx.incoming.talkerId,
    action: `order.${intent}`,
    unitId: ctx.group?.unitId ?? null,
    groupId: ctx.group?.id ?? null,
    allowed,
    detail,
  })
}

/** A refused move: audited with its reason, answered with it. */
async function refused(ctx: ChatContext, intent: Intent, code: string, reason: string) {
  await auditOrder(ctx, intent, false, { code, reason })
  return reason
}

/** Replies for a finished move: the reason when refused, `ok` after telling everyone concerned. */
async function settle(
  ctx: ChatContext,
  intent: Intent,
  code: string,
  result: ActResult,
  ok: (r: Extract<ActResult, { ok: true }>) => string | Promise<string>,
): Promise<string> {
  if (!result.ok) return refused(ctx, intent, code, result.reason)
  ctx.services.log.info(
    { order: code, event: result.event.type, actor: ctx.incoming.talkerId },
    'order moved',
  )
  await afterMove(ctx.services, result)
  return ok(result)
}

const progress: Handler<'progress'> = async (ctx, { code }) => {
  const { services, incoming, member, group } = ctx
  const found = await findOrderByCode(services.db, code)
  if (!found) return replies.notFound(code)
  const [unit, handling] = await Promise.all([
    unitById(services.db, found.unitId),
    unitById(services.db, found.handlingUnitId),
  ])
  const view = readView(
    found,
    {
      ref: incoming.talkerId,
      memberId: member?.id,
      groupId: group?.id,
      grants: member?.grants ?? [],
    },
    { unit: unit?.path ?? '', handling: handling?.path ?? '' },
  )
  if (view === 'none') return refused(ctx, 'progress', code, replies.notFound(code))
  return renderProgress(services, found, view)
}

const rate: Handler<'rate'> = async (ctx, command) => {
  const { result, earned, held } = await rateOrder(ctx.services, {
    code: command.code,
    stars: command.stars,
    comment: command.comment,
    ...who(ctx),
  })
  if (!result.ok) return refused(ctx, 'rate', command.code, result.reason)
  await afterMove(ctx.services, result, {
    stars: command.stars,
    ...(command.comment ? { comment: command.comment } : {}),
    ...(earned ? { points: { amount: earned.amount, balance: earned.balance } } : {}),
    ...(held ? { held: { id: held.id, amount: held.amount } } : {}),
  })
  return result.event.type === 'reopened'
    ? replies.reopened(command.code)
    : replies.rated(command.code, command.stars)
}

const cancelOrder: Handler<'cancelOrder'> = async (ctx, { code }) =>
  settle(
    ctx,
    'cancelOrder',
    code,
    await applyAction(ctx.services, { code, action: { kind: 'cancel' }, ...who(ctx) }),
    () => replies.cancelled(code),
  )

const accept: Handler<'accept'> = async (ctx, { code }) =>
  settle(
    ctx,
    'accept',
    code,
    await applyAction(ctx.services, { code, action: { kind: 'accept' }, ...who(ctx) }),
    () => replies.accepted(code),
  )

const complete: Handler<'complete'> = async (ctx, { code, note }) => {
  const hours = hoursFromNote(note)
  return settle(
    ctx,
    'complete',
    code,
    await applyAction(ctx.services, {
      code,
      action: { kind: 'complete' },
      ...who(ctx),
      note: note ?? null,
      ...(hours !== undefined ? { data: { hours } } : {}),
    }),
    () => replies.done(code),
  )
}

const returnOrder: Handler<'returnOrder'> = async (ctx, { code, reason }) =>
  settle(
    ctx,
    'returnOrder',
    code,
    await applyAction(ctx.services, {
      code,
      action: { kind: 'return' },
      ...who(ctx),
      note: reason,
    }),
    () => replies.returned(code),
  )

const myTasks: Handler<'myTasks'> = async (ctx) => {
  if (!ctx.member) return replies.noTasks
  const lists = await tasksOf(ctx.services, ctx.member)
  if (lists.mine.length === 0 && lists.waiting.length === 0) return replies.noTasks
  return replies.tasks(lists.mine, lists.waiting)
}

const dispatch: Handler<'dispatch'> = async (ctx, { code, assignee }) => {
  const found = await findMembersByNameOrId(ctx.services.db, assignee)
  // Namesakes: keep those who could work on orders at all, then ask for the 微信号.
  const workers = found.filter((m) => m.grants.some((g) => WORKER_ROLES.includes(g.role)))
  const pool = workers.length > 0 ? workers : found
  if (pool.length === 0) return refused(ctx, 'dispatch', code, replies.unknownAssignee(assignee))
  if (pool.length > 1) {
    return refused(ctx, 'dispatch', code, replies.ambiguousAssignee(assignee, pool.length))
  }
  const target = pool[0]!
  return settle(
    ctx,
    'dispatch',
    code,
    await applyAction(ctx.services, {
      code,
      action: {
        kind: 'dispatch',
        assignee: assigneeOf(target),
      },
      ...who(ctx),
      note: target.name,
    }),
    () => replies.dispatched(code, target.name),
  )
}

const escalate: Handler<'escalate'> = async (ctx, { code, reason }) =>
  settle(
    ctx,
    'escalate',
    code,
    await applyAction(ctx.services, {
      code,
      ...who(ctx),
      note: reason,
      action: async (snapshot, tx) => {
        const parent = (await ancestors(tx, snapshot.handlingUnit.id))[1]
        return {
          kind: 'escalate',
          parent: parent && { id: parent.id, path: parent.path, tier: parent.tier },
        }
      },
    }),
    async (r) => {
      const unit = await unitById(ctx.services.db, r.order.handlingUnitId)
      return replies.escalated(code, unit ? unitLabel(unit) : '')
    },
  )

/** A digit from a resident who was asked which category they meant; silence from anyone else. */
/**
 * A resident's digit, when the question it answers is "您要办的是：1 … 2 … 3 …" (ask-back.ts):
 * undefined when they were asked no such thing in this group, so everyday digits stay silent.
 */
export async function answerCategoryMenu(
  ctx: ChatContext,
  choice: number,
): Promise<string | undefined> {
  const { group, incoming, services } = ctx
  if (!group?.active) return undefined
  const answer = await answerWithDigit(
    services,
    { residentRef: incoming.talkerId, groupId: group.id },
    choice,
  )
  return answer && answered(ctx, answer)
}

export const menuReply = (code: string, choices: readonly Category[]) =>
  replies.asking(
    code,
    choices.map((c) => c.name),
  )

async function answered(ctx: ChatContext, answer: Answer): Promise<string> {
  if (answer.kind === 'asking') return menuReply(answer.code, answer.choices)
  const { result, category, code } = answer
  if (!result.ok) return refused(ctx, 'answer', code, result.reason)
  await auditOrder(ctx, 'answer', true, { code, category: category.code })
  return replies.placed(code, category.name, unitLabel(result.handlingUnit), result.assignee)
}

/** 改类: staff over the order and over the new category's unit (the state machine checks both). */
const recategorizeOrder: Handler<'recategorize'> = async (ctx, { code, category: name }) => {
  const category = categoryNamed(await listCategories(ctx.services), name)
  if (!category) return refused(ctx, 'recategorize', code, replies.unknownCategory(name))
  const result = await recategorize(ctx.services, { code, category, ...who(ctx) })
  if (!result.ok) return refused(ctx, 'recategorize', code, result.reason)
  ctx.services.log.info(
    { order: code, category: category.code, actor: ctx.incoming.talkerId },
    'order recategorized',
  )
  await auditOrder(ctx, 'recategorize', true, {
    code,
    category: category.code,
    ...(result.learnedId !== undefined ? { learned: result.learnedId } : {}),
  })
  return replies.recategorized(code, category.name, unitLabel(result.handlingUnit), result.assignee)
}

const menu: Handler<'menu'> = async (ctx) =>
  menuText(await listCategories(ctx.services), FALLBACK_CATEGORY)

/** Chat commands of the service loop, keyed by intent (app/chat-handlers.ts merges them). */
export const orderHandlers = {
  progress,
  rate,
  cancelOrder,
  accept,
  complete,
  returnOrder,
  myTasks,
  dispatch,
  escalate,
  recategorize: recategorizeOrder,
  menu,
} satisfies SomeHandlers
