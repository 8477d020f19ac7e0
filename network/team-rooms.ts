/**
 * Which room hears a unit's workers or its team: the bound, active workers or staff group of the
 * unit or of the nearest unit above it. Read for most order notices, changed only when a room is
 * bound or unbound, so each Services keeps what it read for ROOM_CACHE_MS.
 */
import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm'
import { Batcher } from '../core/batcher.ts'
import { cacheKey } from '../core/caches.ts'
import type { Services } from '../core/services.ts'
import { anyInt } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { botAccounts, type GroupKind, groups } from '../db/schema/network.ts'
import { unitChainsOf } from './unit-chains.ts'

export interface TeamGroup {
  groupId: number
  unitId: number
  topic: string
  roomId: string
  /** The bot account sitting in the room; null while none does (nothing can be said there). */
  account: string | null
}

/**
 * Who hears about the work of a unit:
 * - 'workers': the people who do the work (a dispatch). The nearest 'workers' group from the unit
 *   up: a grid has none of its own in most districts, its grid worker sits in the community's
 *   志愿服务工作群. None on the way up → the caller tells the assignee privately.
 * - 'team': the people who answer for the unit (an escalation, a return, an order to sort). The
 *   unit's own workers (or else staff) group, else the nearest ancestor's.
 * Only bound, active groups count: a message must reach a room.
 */
export type Audience = 'workers' | 'team'

interface TeamRow extends TeamGroup {
  kind: GroupKind
}

/**
 * A unit's room is kept ROOM_CACHE_MS, and dropped at once by a bind in this process
 * (`forgetTeamRooms`). A bind made elsewhere reaches notices within that time; a notice sent
 * meanwhile goes where it would have gone a moment before the bind.
 */
const ROOM_CACHE_MS = 2_000

/** The team rooms one Services has looked up, and the batched reads behind them. */
class TeamRooms {
  private readonly found = new Map<string, { at: number; group: Promise<TeamGroup | undefined> }>()
  /** The units' rooms are read together for notices going out at once. */
  private readonly reads: Batcher<number, TeamRow[]>

  constructor(private readonly services: Pick<Services, 'db' | 'caches'>) {
    this.reads = new Batcher((ids) => readTeamGroups(services.db, ids))
  }

  roomOf(unitId: number, audience: Audience): Promise<TeamGroup | undefined> {
    const key = `${unitId}:${audience}`
    const hit = this.found.get(key)
    if (hit && Date.now() - hit.at < ROOM_CACHE_MS) return hit.group
    const group = this.read(unitId, audience)
    const entry = { at: Date.now(), group }
    this.found.set(key, entry)
    group.catch(() => {
      if (this.found.get(key) === entry) this.found.delete(key)
    })
    return group
  }

  private async read(unitId: number, audience: Audience): Promise<TeamGroup | undefined> {
    const chain = await unitChainsOf(this.services).of(unitId)
    const rowsOf = await Promise.all(chain.map((unit) => this.reads.load(unit.id)))
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
}

const TEAM_ROOMS = cacheKey<TeamRooms>('network.team-rooms')

/** The room where `audience` of the unit hears about its work; undefined when none is bound. */
export function teamRoomOf(
  services: Pick<Services, 'db' | 'caches'>,
  unitId: number,
  audience: Audience,
): Promise<TeamGroup | undefined> {
  return services.caches.of(TEAM_ROOMS, () => new TeamRooms(services)).roomOf(unitId, audience)
}

/** A room was bound or unbound: the next notice reads the rooms again. */
export function forgetTeamRooms(services: Pick<Services, 'caches'>): void {
  services.caches.drop(TEAM_ROOMS)
}

async function readTeamGroups(db: Db, unitIds: readonly number[]) {
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
