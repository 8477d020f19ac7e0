/**
 * What people read: an order's timeline (进度), a worker's open orders (我的任务), the menu.
 * Rendering over the reads of order-store.ts and order-queries.ts; nothing here changes an order.
 */

import { maskPersonalData } from '../core/personal-data.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { isWithin, type RoleGrant } from '../network/permissions.ts'
import { unitById } from '../network/queries.ts'
import { type Category, PLATFORMS } from './catalogue.ts'
import { assignedOpenOrders, timelineOf, unassignedOpenOrders } from './order-queries.ts'
import { categoryOf, type OrderRow } from './order-store.ts'
import { isOverdue } from './sla-time.ts'
import { WORKER_ROLES } from './state-machine.ts'
import { orderLine, replies, SYSTEM_ACTOR_NAME, timelineLine, unitLabel } from './templates.ts'

/** "06-01 10:00" in the district's time zone. */
export function shortTime(at: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return `${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`
}

export interface Reader {
  ref: string
  memberId?: number | undefined
  groupId: number | undefined
  grants: readonly RoleGrant[]
}

/** How much of an order a reader sees: all of it, its text with personal data masked, nothing. */
export type ReadView = 'full' | 'masked' | 'none'

/** Roles that work the orders of the unit they cover, and so need the resident's details. */
const STATION_ROLES: readonly RoleGrant['role'][] = ['station_staff', 'admin']

/**
 * Who may read an order: anyone in the group it was placed in, its resident anywhere, and staff
 * or workers whose role covers the resident's or the handling unit; others are told it does not
 * exist. Phone, ID and door numbers in it are shown only to those who need them (PIPL): the
 * resident, the assignee and the handling station's staff.
 */
export function readView(
  order: OrderRow,
  reader: Reader,
  paths: { unit: string; handling: string },
): ReadView {
  if (reader.ref === order.residentRef) return 'full'
  if (reader.memberId !== undefined && reader.memberId === order.assigneeMemberId) return 'full'
  const covers = (g: RoleGrant) =>
    isWithin(paths.unit, g.unitPath) || isWithin(paths.handling, g.unitPath)
  if (
    reader.grants.some(
      (g) => STATION_ROLES.includes(g.role) && isWithin(paths.handling, g.unitPath),
    )
  )
    return 'full'
  if (reader.groupId !== undefined && reader.groupId === order.groupId) return 'masked'
  return reader.grants.some(covers) ? 'masked' : 'none'
}

/** A name as readers who do not need it see it: its first character. */
function maskName(name: string): string {
  const [first] = name
  return first === undefined ? '' : `${first}*`
}

// A timeline longer than this shows its last lines: WeChat folds long messages anyway.
const MAX_TIMELINE = 12

export async function renderProgress(
  services: Services,
  order: OrderRow,
  view: Exclude<ReadView, 'none'> = 'full',
): Promise<string> {
  const shown = (text: string | null) =>
    text === null || view === 'full' ? text : maskPersonalData(text)
  const { db, timezone } = services
  const [category, handling, events] = await Promise.all([
    categoryOf(db, order.categoryId),
    unitById(db, order.handlingUnitId),
    timelineOf(db, order.id),
  ])
  const lines = events.slice(-MAX_TIMELINE).map((e) => {
    const actor =
      e.actorName ??
      (e.actorRef === 'system'
        ? SYSTEM_ACTOR_NAME
        : e.actorRef === order.residentRef
          ? view === 'full'
            ? order.residentName
            : maskName(order.residentName)
          : '')
    // The first event's note is empty: the order's own text says what was asked.
    const note = shown(e.type === 'placed' ? order.text : e.note)
    return timelineLine(shortTime(e.at, timezone), actor, e.type, note)
  })
  const header = replies.progressHeader(
    order.code,
    category?.name ?? '',
    order.status,
    handling ? unitLabel(handling) : '',
  )
  return [header, ...lines].join('\n')
}

export interface TaskLists {
  mine: string[]
  waiting: string[]
}

async function linesOf(
  db: Db,
  rows: OrderRow[],
  now: Date,
  view: Exclude<ReadView, 'none'>,
): Promise<string[]> {
  const names = new Map<number, string>()
  for (const r of rows) {
    if (r.categoryId !== null && !names.has(r.categoryId)) {
      names.set(r.categoryId, (await categoryOf(db, r.categoryId))?.name ?? '')
    }
  }
  return rows.map((r) =>
    orderLine({
      code: r.code,
      categoryName: r.categoryId === null ? '' : (names.get(r.categoryId) ?? ''),
      status: r.status,
      text: view === 'full' ? r.text : maskPersonalData(r.text),
      overdue: isOverdue(r.dueAt, now),
    }),
  )
}

/**
 * 我的任务: orders assigned to the member and still open, and unassigned open orders of units
 * their worker roles cover (what they could 接单 now). At most `limit` of each, oldest first.
 */
export async function tasksOf(
  services: Services,
  member: { id: number; grants: readonly RoleGrant[] },
  limit = 10,
): Promise<TaskLists> {
  const { db } = services
  const now = services.now()
  const mine = await assignedOpenOrders(db, member.id, limit)
  const scopes = member.grants.filter((g) => WORKER_ROLES.includes(g.role))
  const waiting =
    scopes.length === 0
      ? []
      : await unassignedOpenOrders(
          db,
          scopes.map((g) => g.unitPath),
          limit,
        )
  return {
    mine: await linesOf(db, mine, now, 'full'),
    // Not theirs yet: the need, without the resident's numbers, until someone 接单.
    waiting: await linesOf(db, waiting, now, 'masked'),
  }
}

/** The menu: the catalogue's categories under their platforms, the catch-all left out. */
export function menuText(categories: readonly Category[], fallback: string): string {
  const byPlatform = PLATFORMS.map((platform) => ({
    platform,
    names: categories
      .filter((c) => c.platform === platform && c.code !== fallback)
      .map((c) => c.name),
  })).filter((p) => p.names.length > 0)
  return replies.menu(byPlatform)
}
