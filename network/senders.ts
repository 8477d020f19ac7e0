import { sql } from 'drizzle-orm'
import type { Services } from '../core/services.ts'
import { textArray } from '../db/any-of.ts'
import { rowsOf } from '../db/rows.ts'
import { groups, members, roles, units } from '../db/schema/network.ts'
import type { BoundGroup } from './groups.ts'
import { onChainsOf } from './queries.ts'
import { type KnownMember, type MemberRoleRow, membersFrom } from './roles.ts'
import type { GroupKind, Unit } from './types.ts'
import { unitChainsOf } from './unit-chains.ts'

/** What the bot looks up for the messages arriving together. */
export interface SendersQuery {
  rooms: readonly string[]
  talkers: readonly string[]
  /** Rooms an order was typed in: their units' chains are read into the cache too. */
  chainRooms: readonly string[]
}

export interface Senders {
  /** Each bound room's group. */
  groups: Map<string, BoundGroup>
  /** Each talker who is a member, with every role they hold; residents are absent. */
  members: Map<string, KnownMember>
}

interface SendersJson {
  groups: {
    room: string
    id: number
    unit: number
    path: string
    tier: number
    topic: string
    kind: GroupKind
    bot: number | null
    active: boolean
  }[]
  members: MemberRoleRow[]
  chains: {
    id: number
    parent_id: number | null
    tier: number
    name: string
    path: string
    body: Unit['body']
    created_at: string
  }[]
}

/**
 * Who said it and where, for every message arriving together, in one statement: each room's group
 * and unit, each talker's member row and roles, and the unit chains of the rooms orders were typed
 * in (into the process's unit chains, unit-chains.ts, so routing the order waits for no read of its own). Three
 * statements were three round trips, and the slowest of them set every message's pace. Rooms and
 * talkers are looked up key by key on their unique indexes (lateral, fenced with `offset 0`):
 * the planner would rather scan a small table whole, and the members table only grows.
 */
export async function lookUpSenders(
  services: Pick<Services, 'db' | 'caches'>,
  q: SendersQuery,
): Promise<Senders> {
  const result = await services.db.execute(sql`
    select json_build_object(
      'groups', (
        select coalesce(json_agg(json_build_object('room', g.room_id, 'id', g.id,
          'unit', g.unit_id, 'path', u.path, 'tier', u.tier, 'topic', g.topic, 'kind', g.kind,
          'bot', g.bot_account_id, 'active', g.active)), '[]')
        from (select distinct unnest(${textArray(q.rooms)}) as room_id) r
        cross join lateral (
          select * from ${groups} g where g.room_id = r.room_id offset 0
        ) g
        join ${units} u on u.id = g.unit_id),
      'members', (
        select coalesce(json_agg(json_build_object('wechatId', m.wechat_id, 'id', m.id,
          'name', m.name, 'role', ro.role, 'unitId', ro.unit_id, 'unitPath', u.path)
          order by m.id, ro.id), '[]')
        from (select distinct unnest(${textArray(q.talkers)}) as wechat_id) t
        cross join lateral (
          select * from ${members} m where m.wechat_id = t.wechat_id offset 0
        ) m
        left join ${roles} ro on ro.member_id = m.id
        left join ${units} u on u.id = ro.unit_id),
      'chains', (
        select coalesce(json_agg(${units}), '[]') from ${units}
        where ${onChainsOf(
          sql`${groups} join ${units} on ${units.id} = ${groups.unitId}
            where ${groups.roomId} = any(${textArray(q.chainRooms)})`,
        )})
    )::text as senders`)
  const [row] = rowsOf<{ senders: string }>(result)
  const found = JSON.parse(row!.senders) as SendersJson

  const bound = new Map<string, BoundGroup>(
    found.groups.map((g) => [
      g.room,
      {
        id: g.id,
        unitId: g.unit,
        unitPath: g.path,
        tier: g.tier,
        topic: g.topic,
        kind: g.kind,
        botAccountId: g.bot,
        active: g.active,
      },
    ]),
  )
  if (found.chains.length > 0) {
    unitChainsOf(services).remember(
      found.chains.map((u) => ({
        id: u.id,
        parentId: u.parent_id,
        tier: u.tier,
        name: u.name,
        path: u.path,
        body: u.body,
        createdAt: new Date(u.created_at),
      })),
      q.chainRooms.flatMap((room) => bound.get(room)?.unitId ?? []),
    )
  }
  return { groups: bound, members: membersFrom(found.members) }
}
