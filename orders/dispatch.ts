/**
 * Who gets an order. Candidates are the grid workers and volunteers holding a role on the
 * handling unit itself; the least loaded (fewest open orders) goes first, ties to the
 * longest-registered member, so dispatch is deterministic and spreads the work. Where they are
 * told is network/team-rooms.ts.
 */
import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { botAccounts, groups, members, roles } from '../db/schema/network.ts'
import { type OrderRow, openLoads, type Tx } from './order-store.ts'
import { WORKER_ROLES } from './state-machine.ts'

export interface Candidate {
  memberId: number
  name: string
  wechatId: string
  load: number
}

/** Pure: the candidate with the fewest open orders; equal loads go to the lowest member id. */
export function pickLeastLoaded(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined
  for (const c of candidates) {
    if (!best || c.load < best.load || (c.load === best.load && c.memberId < best.memberId)) {
      best = c
    }
  }
  return best
}

/** Grid workers and volunteers with a role on exactly this unit, with their open load. */
export async function candidatesFor(db: Db | Tx, unitId: number): Promise<Candidate[]> {
  const rows = await db
    .selectDistinct({ memberId: members.id, name: members.name, wechatId: members.wechatId })
    .from(roles)
    .innerJoin(members, eq(members.id, roles.memberId))
    .where(and(eq(roles.unitId, unitId), inArray(roles.role, ['grid_worker', 'volunteer'])))
    .orderBy(asc(members.id))
  const loads = await openLoads(
    db,
    rows.map((r) => r.memberId),
  )
  return rows.map((r) => ({ ...r, load: loads.get(r.memberId) ?? 0 }))
}

/**
 * Everyone 派单 may hand the order to: a worker role (state-machine.ts WORKER_ROLES) on the
 * handling unit or a unit above it (`chain`, the unit first), with their open load; the console
 * lists them to pick from. The state machine still decides each dispatch.
 */
export async function workersCovering(db: Db | Tx, chain: readonly number[]): Promise<Candidate[]> {
  if (chain.length === 0) return []
  const rows = await db
    .selectDistinct({ memberId: members.id, name: members.name, wechatId: members.wechatId })
    .from(roles)
    .innerJoin(members, eq(members.id, roles.memberId))
    .where(and(inArray(roles.unitId, [...chain]), inArray(roles.role, [...WORKER_ROLES])))
    .orderBy(asc(members.id))
  const loads = await openLoads(
    db,
    rows.map((r) => r.memberId),
  )
  return rows.map((r) => ({ ...r, load: loads.get(r.memberId) ?? 0 }))
}

/** The bot account that sits in the order's group, to speak privately through it. */
export async function accountOfOrder(db: Db | Tx, order: OrderRow): Promise<string | undefined> {
  if (order.groupId === null) return undefined
  const [row] = await db
    .select({ name: botAccounts.name })
    .from(groups)
    .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    .where(eq(groups.id, order.groupId))
  return row?.name
}
