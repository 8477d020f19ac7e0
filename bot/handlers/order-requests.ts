/**
 * A resident's order from chat, wherever it comes from: a keyword or a request in a group (placed
 * there), an unclear request (asked back: 是 places it), a private message (placed by the
 * resident's home group, or asked which one when several). The answer to either question is the
 * `answer` intent. Placing itself is the domain's (orders/intake.ts).
 */
import type { Services } from '../../core/services.ts'
import { type BoundGroup, findGroupsByRoomIds } from '../../network/groups.ts'
import { FALLBACK_CATEGORY } from '../../orders/catalogue.ts'
import { placeOrder } from '../../orders/intake.ts'
import { replies, unitLabel } from '../../orders/templates.ts'
import type { ChatContext, Handler, SomeHandlers } from '../context.ts'
import {
  type AskedWhere,
  askQuestion,
  type PendingQuestion,
  takeQuestion,
} from '../pending-answers.ts'
import { rememberOrder } from '../recent-orders.ts'
import { botTexts } from '../templates.ts'
import { answerCategoryMenu, menuReply } from './orders.ts'

type Draft = PendingQuestion['order']

function whereOf(ctx: ChatContext): AskedWhere {
  const { incoming, account } = ctx
  return {
    account: account.name,
    conversationId: incoming.roomId ?? incoming.talkerId,
    talkerId: incoming.talkerId,
  }
}

/** Places the order in `group` and renders the reply. */
async function place(ctx: ChatContext, group: BoundGroup, draft: Draft): Promise<string> {
  const { incoming, services } = ctx
  const placed = await placeOrder(services, {
    residentRef: incoming.talkerId,
    residentName: incoming.talkerName,
    groupId: group.id,
    unitId: group.unitId,
    text: draft.text,
    verb: draft.verb,
  })
  switch (placed.kind) {
    case 'duplicate':
      return replies.duplicate(placed.code)
    case 'limited':
      return replies.rateLimited(placed.max, placed.minutes)
    case 'asking':
      return menuReply(placed.code, placed.choices)
    case 'placed': {
      // A picture sent right after belongs to this order (attachments.ts). Not waited for, so the
      // reply is queued a round trip sooner: written before the reply is even queued, it is in
      // Redis long before the resident reads the reply and sends a picture; lost, only the
      // picture's link to the order is.
      if (incoming.roomId) {
        rememberOrder(services, whereOf(ctx), placed.order.code).catch((err: unknown) =>
          services.log.warn({ err, order: placed.order.code }, 'recent order not remembered'),
        )
      }
      // The classifier was unsure: recorded, and the resident asked which they meant.
      if (placed.asking) return menuReply(placed.order.code, placed.asking)
      const unit = unitLabel(placed.handlingUnit)
      return placed.category.code === FALLBACK_CATEGORY
        ? replies.placedUnsorted(placed.order.code, unit)
        : replies.placed(placed.order.code, placed.category.name, unit, placed.assignee)
    }
  }
}

/** The residents' groups among `roomIds`, bound and active, in the order given. */
async function residentGroups(services: Services, roomIds: readonly string[]) {
  const found = await findGroupsByRoomIds(services.db, roomIds)
  return roomIds.flatMap((id) => {
    const group = found.get(id)
    return group?.active && group.kind === 'residents' ? [{ roomId: id, group }] : []
  })
}

/** A private order goes to the resident's home group: the residents' rooms they sit in. */
async function orderInPrivate(ctx: ChatContext, draft: Draft): Promise<string> {
  const rooms = ctx.homeRooms ? await ctx.homeRooms(ctx.incoming.talkerId) : []
  const homes = (await residentGroups(ctx.services, rooms)).slice(0, 9)
  if (homes.length === 0) return botTexts.noHomeGroup
  if (homes.length === 1) return place(ctx, homes[0]!.group, draft)
  await askQuestion(ctx.services, whereOf(ctx), {
    kind: 'pickGroup',
    order: draft,
    roomIds: homes.map((h) => h.roomId),
  })
  return botTexts.pickGroup(homes.map((h) => h.group.topic))
}

const order: Handler<'order'> = async (ctx, command) => {
  const draft = { text: command.text, verb: command.verb }
  if (!ctx.incoming.roomId) return orderInPrivate(ctx, draft)
  if (!ctx.group) return undefined
  if (ctx.loose === 'unsure') {
    await askQuestion(ctx.services, whereOf(ctx), {
      kind: 'confirmOrder',
      order: draft,
      groupId: ctx.group.id,
    })
    return botTexts.confirmOrder
  }
  return place(ctx, ctx.group, draft)
}

/** 是 or a number: settles the question the bot asked this talker here, if any; silent if none. */
const answer: Handler<'answer'> = async (ctx, command) => {
  const where = whereOf(ctx)
  const question = await takeQuestion(ctx.services, where)
  if (!question) {
    // No question of this file's: a digit may answer the classifier's menu (ask-back.ts).
    return typeof command.answer === 'number' ? answerCategoryMenu(ctx, command.answer) : undefined
  }
  if (question.kind === 'confirmOrder') {
    if (command.answer !== 'yes') {
      // A digit is not the answer to 是: the question keeps waiting for it.
      await askQuestion(ctx.services, where, question)
      return undefined
    }
    // Only where it was asked, and only while that room is still a residents' group.
    const group = ctx.group
    if (group?.id !== question.groupId || !group.active) return undefined
    return place(ctx, group, question.order)
  }
  const pick = command.answer
  if (pick === 'yes' || pick > question.roomIds.length) {
    await askQuestion(ctx.services, where, question)
    return botTexts.pickAgain(question.roomIds.length)
  }
  // Read again: the group may have been unbound since the question.
  const [home] = await residentGroups(ctx.services, [question.roomIds[pick - 1]!])
  return home ? place(ctx, home.group, question.order) : botTexts.noHomeGroup
}

/** The order intake's chat side (app/chat-handlers.ts merges it). */
export const orderRequestHandlers = { order, answer } satisfies SomeHandlers
