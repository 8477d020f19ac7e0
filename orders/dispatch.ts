/**
 * Who gets an order and where they are told. Candidates are the grid workers and volunteers
 * holding a role on the handling unit itself; the least loaded (fewest open orders) goes first,
 * ties to the longest-registered member, so dispatch is deterministic and spreads the work.
 */
import { and, asc, eq, inArray, isNotNull, or } from 'drizzle-orm'
import { Batcher, batcherOf } from '../core/batcher.ts'
import { anyInt } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { botAccounts, type GroupKind, groups, members, roles, units } from '../db/schema/network.ts'
import type { RoleGrant } from '../network/permissions.ts'
import { ancestors } from '../network/queries.ts'
import { type OrderRow, openLoads, type Tx } from './store.ts'

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

export interface TeamGroup {
  groupId: number
  unitId: number
  topic: string
  roomId: string
  /** The bot account sitting in the room; null while none does (nothing can be said there). */
  account: string | null
}

/**
 * Who hears about an order of a unit:
 * - 'workers': the people who do the work (a dispatch). The nearest 'workers' group from the unit
 *   up: a grid has none of its own in most districts, its grid worker sits in the community's
 *   志愿服务工作群. None on the way up → the caller tells the assignee privately.
 * - 'team': the people who answer for the unit (an escalation, a return, an order to sort). The
 *   unit's own workers (or else staff) group, else the nearest ancestor's.
 * Only bound, active groups count: a message must reach a room.
 */
export type Audience = 'workers' | 'team'

export async function groupFor(
  db: Db | Tx,
  unitId: number,
  audience: Audience,
): Promise<TeamGroup | undefined> {
  const chain = await ancestors(db, unitId)
  const reads = batcherOf(teamGroupReads, db, () => new Batcher((ids) => readTeamGroups(db, ids)))
  const rowsOf = await Promise.all(chain.map((unit) => reads.load(unit.id)))
  for (const own of rowsOf) {
    const mine = audience === 'workers' ? own.filter((r) => r.kind === 'workers') : own
    const pick = mine.find((r) => r.kind === 'workers') ?? mine[0]
    if (pick) {
      const { groupId, unitId, topic, roomId, account } = pick
      return { groupId, unitId, topic, roomId, account }
    }
  }
  return undefined
}

interface TeamRow extends TeamGroup {
  kind: GroupKind
}

/** The units' bound, active workers and staff groups are read together for orders arriving at once. */
const teamGroupReads = new WeakMap<Db | Tx, Batcher<number, TeamRow[]>>()

async function readTeamGroups(db: Db | Tx, unitIds: readonly number[]) {
  const rows = await db
    .select({
      groupId: groups.id,
      unitId: groups.unitId,
      topic: groups.topic,
      kind: groups.kind,
      roomId: groups.roomId,
      account: botAccounts.name,
    })
    .from(groups)
    .leftJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    .where(
      and(
        anyInt(groups.unitId, unitIds),
        inArray(groups.kind, ['workers', 'staff']),
        eq(groups.active, true),
        isNotNull(groups.roomId),
      ),
    )
    .orderBy(asc(groups.id))
  const byUnit = new Map<number, TeamRow[]>(unitIds.map((id) => [id, []]))
  for (const r of rows) if (r.roomId) byUnit.get(r.unitId)?.push({ ...r, roomId: r.roomId })
  return byUnit
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

export interface MemberWithGrants {
  id: number
  name: string
  wechatId: string
  grants: RoleGrant[]
}

async function withGrants(
  db: Db | Tx,
  found: { id: number; name: string; wechatId: string }[],
): Promise<MemberWithGrants[]> {
  if (found.length === 0) return []
  const rows = await db
    .select({
      memberId: roles.memberId,
      role: roles.role,
      unitId: roles.unitId,
      unitPath: units.path,
    })
    .from(roles)
    .innerJoin(units, eq(units.id, roles.unitId))
    .where(
      inArray(
        roles.memberId,
        found.map((m) => m.id),
      ),
    )
  return found.map((m) => ({
    ...m,
    grants: rows
      .filter((r) => r.memberId === m.id)
      .map((r) => ({ role: r.role, unitId: r.unitId, unitPath: r.unitPath })),
  }))
}

/** Members named `who` (display name) or with 微信号 `who`, with their roles. */
export async function findMembersByNameOrId(db: Db | Tx, who: string): Promise<MemberWithGrants[]> {
  const name = who.normalize('NFKC').trim()
  if (name === '') return []
  const found = await db
    .select({ id: members.id, name: members.name, wechatId: members.wechatId })
    .from(members)
    .where(or(eq(members.wechatId, name), eq(members.name, name)))
    .orderBy(asc(members.id))
  return withGrants(db, found)
}

export async function memberWithGrants(
  db: Db | Tx,
  id: number,
): Promise<MemberWithGrants | undefined> {
  const found = await db
    .select({ id: members.id, name: members.name, wechatId: members.wechatId })
    .from(members)
    .where(eq(members.id, id))
  return (await withGrants(db, found))[0]
}
