/**
 * What follows a committed move: who hears about it and the next step's clock. Who hears: the unit's workers or staff group (or the
 * assignee privately when the unit has no such group), and the resident in their own group.
 * Every message has a job id derived from the event id, so a retried job never says it twice.
 */
import { eq } from 'drizzle-orm'
import type { StoredFile } from '../core/content-store.ts'
import { orderOptions } from '../core/order-options.ts'
import type { Services } from '../core/services.ts'
import { groups, members } from '../db/schema/network.ts'
import { type Audience, teamRoomOf } from '../network/team-rooms.ts'
import { unitChainsOf } from '../network/unit-chains.ts'
import { sendRef } from '../queues/send-hooks.ts'
import type { Moved } from './act.ts'
import { attachmentsOf } from './attachment-store.ts'
import { categoryById, FALLBACK_CATEGORY } from './catalogue.ts'
import { URGENT } from './classify.ts'
import { accountOfOrder, candidatesFor } from './dispatch.ts'
import { findOrderByCode, type OrderRow } from './order-store.ts'
import { slaMinutes } from './sla-time.ts'
import { armSla } from './sla-timer.ts'
import { notices, unitLabel } from './templates.ts'

/** The kind of message about an order (by its code), for the send hooks (send-hooks.ts). */
export const ORDER_REF = 'order'

export interface AnnounceExtras {
  /** A low rating's stars and comment (reopened). */
  stars?: number
  comment?: string
  /** Points posted on a rating, with the volunteer's new balance. */
  points?: { amount: number; balance: number }
  /** Points over the volunteer's daily cap, held for a station's review instead. */
  held?: { id: number; amount: number }
  /** The assignee as the caller already knows them (intake's dispatch): not read again. */
  assignee?: { memberId: number; name: string; wechatId: string }
}

/** A unit's row, from the cached chain (its id, path and tier never change). */
async function unitRow(services: Services, id: number) {
  return (await unitChainsOf(services).of(id))[0]
}

async function member(services: Services, id: number | null) {
  if (id === null) return undefined
  const [row] = await services.db
    .select({ name: members.name, wechatId: members.wechatId })
    .from(members)
    .where(eq(members.id, id))
  return row
}

/**
 * Says `text` to the handling unit's workers or team (network/team-rooms.ts); privately to
 * `fallbackTo` when no group fits.
 */
async function toUnit(
  services: Services,
  order: OrderRow,
  audience: Audience,
  text: string,
  jobKey: string,
  fallbackTo?: { wechatId: string },
  file?: StoredFile,
): Promise<void> {
  const msg = {
    text,
    kind: 'dispatch' as const,
    ref: sendRef(ORDER_REF, order.code),
    ...(file && { file }),
  }
  const group = await teamRoomOf(services, order.handlingUnitId, audience)
  if (group?.account) {
    // Notices of orders committed together go to each account's queue in one round trip.
    await services.messenger.toRoom(group.account, group.roomId, msg, `order-${jobKey}-${audience}`)
    return
  }
  const account = fallbackTo ? await accountOfOrder(services.db, order) : undefined
  if (fallbackTo && account) {
    await services.messenger.toRoom(
      account,
      fallbackTo.wechatId,
      { ...msg, privately: true },
      `order-${jobKey}-private`,
    )
    return
  }
  services.log.warn(
    { order: order.code, unitId: order.handlingUnitId, audience },
    'no group to tell about the order',
  )
}

async function toResident(services: Services, order: OrderRow, text: string, jobKey: string) {
  if (order.groupId === null) return
  const said = await services.messenger.toGroup(
    order.groupId,
    { text, kind: 'reply', ref: sendRef(ORDER_REF, order.code) },
    `order-${jobKey}-resident`,
  )
  if (!said)
    services.log.warn({ order: order.code, groupId: order.groupId }, 'resident group unreachable')
}

/** What follows every committed move: tell the people concerned, start the next step's clock. */
export async function afterMove(
  services: Services,
  moved: Moved,
  extras: AnnounceExtras = {},
): Promise<void> {
  // Independent writes (the messages' queue, the SLA queue): a resident's reply waits for both,
  // so they go out together rather than one round trip after the other.
  await Promise.all([announce(services, moved, extras), armSla(services, moved.order)])
}

/** Tells everyone concerned about one committed move. Never throws: the move is already done. */
async function announce(services: Services, moved: Moved, extras: AnnounceExtras = {}) {
  try {
    await announceOrThrow(services, moved, extras)
  } catch (err) {
    services.log.error(
      { err, order: moved.order.code, event: moved.event.type },
      'announcing failed',
    )
  }
}

async function announceOrThrow(services: Services, moved: Moved, extras: AnnounceExtras) {
  const { order, event, before } = moved
  const key = String(event.id)
  const category = await categoryById(services, order.categoryId)
  // A danger named in the order (燃气, 消防通道 …) heads every message about it.
  const categoryName = `${category?.name ?? ''}${order.priority >= URGENT ? '【紧急】' : ''}`
  const assignee =
    extras.assignee && extras.assignee.memberId === order.assigneeMemberId
      ? extras.assignee
      : await member(services, order.assigneeMemberId)
  const residentUnit = await unitRow(services, order.unitId)
  const about = {
    code: order.code,
    category: categoryName,
    resident: order.residentName,
    where: residentUnit ? unitLabel(residentUnit) : '',
    text: order.text,
  }
  switch (event.type) {
    case 'placed':
    case 'recategorized':
    case 'unanswered': {
      // Nobody was assigned: the team hears it is up for grabs, or that someone must dispatch.
      const open = orderOptions(services).dispatch === 'open'
      const anyone = open && (await candidatesFor(services.db, order.handlingUnitId)).length > 0
      const minutes = category ? slaMinutes(category, 'accept') : 0
      const text =
        category?.code === FALLBACK_CATEGORY
          ? notices.unsorted(about)
          : anyone
            ? notices.dispatch({ ...about, acceptMinutes: minutes })
            : notices.unstaffed(about)
      await toUnit(services, order, 'team', text, key)
      return
    }
    case 'dispatched':
    case 'reopened': {
      if (!assignee) return
      const text =
        event.type === 'reopened'
          ? notices.reopened(order.code, extras.stars ?? 0, extras.comment, assignee.name)
          : notices.dispatch({
              ...about,
              assignee: assignee.name,
              acceptMinutes: category ? slaMinutes(category, 'accept') : 0,
            })
      // The resident's pictures go with the 【派单】, each once per dispatch, after it: read while
      // it is being queued.
      const [files] = await Promise.all([
        attachmentsOf(services.db, services.dataDir, order.id),
        toUnit(services, order, 'workers', text, key, assignee),
      ])
      for (const file of files) {
        const about = notices.attachment(order.code, file.name)
        await toUnit(services, order, 'workers', about, `${key}-a${file.id}`, assignee, file)
      }
      return
    }
    case 'accepted':
      await toResident(
        services,
        order,
        notices.toResident.accepted(order.residentName, order.code, assignee?.name ?? ''),
        key,
      )
      return
    case 'done':
      await toResident(
        services,
        order,
        notices.toResident.done(
          order.residentName,
          order.code,
          assignee?.name ?? '',
          event.note ?? undefined,
        ),
        key,
      )
      return
    case 'returned': {
      const who = (await member(services, before.assigneeMemberId))?.name ?? ''
      await toUnit(
        services,
        order,
        'team',
        notices.returned(order.code, who, event.note ?? ''),
        key,
      )
      return
    }
    case 'escalated': {
      const [from, to] = await Promise.all([
        unitRow(services, before.handlingUnitId),
        unitRow(services, order.handlingUnitId),
      ])
      const toLabel = to ? unitLabel(to) : ''
      await toUnit(
        services,
        order,
        'team',
        notices.escalated({
          ...about,
          from: from ? unitLabel(from) : '',
          to: toLabel,
          why: event.note ?? '',
        }),
        key,
      )
      await toResident(
        services,
        order,
        notices.toResident.escalated(order.residentName, order.code, toLabel),
        key,
      )
      return
    }
    case 'cancelled': {
      if (before.assigneeMemberId === null) return
      await toUnit(services, order, 'team', notices.cancelled(order.code), key)
      return
    }
    case 'rated': {
      if (assignee && extras.held) {
        await toUnit(
          services,
          order,
          'workers',
          notices.pointsHeld(order.code, order.rating, assignee.name, extras.held.amount),
          key,
          assignee,
        )
        return
      }
      if (!assignee || !extras.points) return
      await toUnit(
        services,
        order,
        'workers',
        notices.pointsPosted(
          order.code,
          order.rating,
          assignee.name,
          extras.points.amount,
          extras.points.balance,
        ),
        key,
        assignee,
      )
      return
    }
  }
}

/**
 * A picture the resident sent after the order went out: to whoever has it now (the assignee, or
 * the unit's team while nobody does), once per attachment.
 */
export async function forwardAttachment(
  services: Services,
  order: OrderRow,
  file: StoredFile,
  attachmentId: number,
): Promise<void> {
  const assignee = await member(services, order.assigneeMemberId)
  const text = notices.attachment(order.code, file.name)
  const audience = assignee ? 'workers' : 'team'
  await toUnit(services, order, audience, text, `attachment-${attachmentId}`, assignee, file)
}

/**
 * A private dispatch was given up (the worker is not the bot's contact, or WeChat refused): the
 * unit's team hears it, so someone phones the worker. A message to a room is not retried here.
 */
export async function privateDispatchFailed(
  services: Services,
  code: string,
  wechatId: string,
): Promise<void> {
  const [room] = await services.db
    .select({ id: groups.id })
    .from(groups)
    .where(eq(groups.roomId, wechatId))
  if (room) return
  const order = await findOrderByCode(services.db, code)
  if (!order) return
  const [who] = await services.db.select().from(members).where(eq(members.wechatId, wechatId))
  await toUnit(
    services,
    order,
    'team',
    notices.unreached(order.code, who?.name ?? wechatId, wechatId),
    `unreached-${order.id}-${order.updatedAt.getTime()}`,
  )
}
