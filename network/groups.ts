import { and, count, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import { anyText } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { auditLog } from '../db/schema/audit.ts'
import { type GroupKind, groups, units } from '../db/schema/network.ts'

export interface BoundGroup {
  id: number
  unitId: number
  unitPath: string
  tier: number
  topic: string
  kind: GroupKind
  botAccountId: number | null
  active: boolean
}

const boundColumns = {
  id: groups.id,
  unitId: groups.unitId,
  unitPath: units.path,
  tier: units.tier,
  topic: groups.topic,
  kind: groups.kind,
  botAccountId: groups.botAccountId,
  active: groups.active,
}

export async function findGroupByRoomId(db: Db, roomId: string): Promise<BoundGroup | undefined> {
  return (await findGroupsByRoomIds(db, [roomId])).get(roomId)
}

/** Many rooms in one statement (the bot looks up the rooms of messages arriving together). */
export async function findGroupsByRoomIds(
  db: Db,
  roomIds: readonly string[],
): Promise<Map<string, BoundGroup>> {
  const rows = await db
    .select({ ...boundColumns, roomId: groups.roomId })
    .from(groups)
    .innerJoin(units, eq(units.id, groups.unitId))
    .where(anyText(groups.roomId, roomIds))
  return new Map(rows.map(({ roomId, ...group }) => [roomId!, group]))
}

export interface RoomSighting {
  roomId: string
  topic: string
  botAccountId: number
}

/** Marks a bound room seen on this account again (re-added, or after a restart). */
export async function reactivateRoom(
  db: Db,
  group: BoundGroup,
  botAccountId: number,
): Promise<BoundGroup> {
  await db
    .update(groups)
    .set({ active: true, botAccountId, updatedAt: sql`now()` })
    .where(eq(groups.id, group.id))
  return { ...group, active: true, botAccountId }
}

/** The imported group with this topic that no room holds yet, if any. */
export async function findUnclaimedGroup(db: Db, topic: string): Promise<BoundGroup | undefined> {
  const [row] = await db
    .select(boundColumns)
    .from(groups)
    .innerJoin(units, eq(units.id, groups.unitId))
    .where(and(eq(groups.topic, topic), isNull(groups.roomId)))
  return row
}

/** Gives an unclaimed group its room; undefined when another room took it meanwhile. */
export async function claimGroup(
  db: Db,
  groupId: number,
  sighting: RoomSighting,
): Promise<BoundGroup | undefined> {
  const [claimed] = await db
    .update(groups)
    .set({
      roomId: sighting.roomId,
      botAccountId: sighting.botAccountId,
      active: true,
      updatedAt: sql`now()`,
    })
    .where(and(eq(groups.id, groupId), isNull(groups.roomId)))
    .returning({ id: groups.id })
  return claimed ? findGroupByRoomId(db, sighting.roomId) : undefined
}

/**
 * Binds every room an account sits in at once, as its bot comes up, in set-based statements (an
 * account can sit in thousands of rooms): a bound room keeps its unit and is marked active; an
 * unbound room claims the imported group of its topic that no room holds (the roster
 * the operator imported names these topics: this is how a district's rooms come up at first
 * login); and a group of the same topic bound to another room of this account that is not among
 * `rooms` (dissolved and re-created, or a restarted simulation) is re-bound to the room seen now.
 * Every claim is written to the audit log. When two rooms share a
 * topic, the first in `rooms` order gets the group. Returns the ids of the rooms now bound.
 */
export async function bindRoomsByTopic(
  db: Db,
  botAccountId: number,
  rooms: readonly { roomId: string; topic: string }[],
): Promise<Set<string>> {
  if (rooms.length === 0) return new Set()
  const seen = sql`json_to_recordset(${JSON.stringify(
    rooms.map((r, n) => ({ id: r.roomId, topic: r.topic, n })),
  )}::json) as r(id text, topic text, n int)`
  // Of the rooms no group holds yet, the first of each topic in the order the account listed them.
  const firstUnbound = sql`(
    select distinct on (r.topic) r.id, r.topic from ${seen}
    where not exists (select 1 from ${groups} b where b.room_id = r.id)
    order by r.topic, r.n) as f`
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      update ${groups} set active = true, bot_account_id = ${botAccountId}, updated_at = now()
      from ${seen} where ${groups.roomId} = r.id`)
    // Each claim is a binding change: audited in the same statement, as the account's act.
    await tx.execute(sql`
      with claimed as (
        update ${groups} set room_id = f.id, bot_account_id = ${botAccountId}, active = true,
          updated_at = now()
        from ${firstUnbound} where ${groups.topic} = f.topic and ${groups.roomId} is null
        returning ${groups.id} as id, ${groups.unitId} as unit_id, f.id as room_id, f.topic)
      ${auditClaims(botAccountId, 'login')}`)
    await tx.execute(sql`
      with claimed as (
        update ${groups} set room_id = f.id, active = true, updated_at = now()
        from ${firstUnbound}
        where ${groups.topic} = f.topic and ${groups.botAccountId} = ${botAccountId}
          and ${groups.roomId} is not null
          and not exists (select 1 from ${seen} where r.id = ${groups.roomId})
        returning ${groups.id} as id, ${groups.unitId} as unit_id, f.id as room_id, f.topic)
      ${auditClaims(botAccountId, 'login-rebind')}`)
    const bound = await tx
      .select({ id: sql<string>`r.id` })
      .from(seen)
      .where(sql`exists (select 1 from ${groups} b where b.room_id = r.id)`)
    return new Set(bound.map((row) => row.id))
  })
}

/** The audit lines of the groups a `claimed` CTE bound, one per group. */
function auditClaims(botAccountId: number, by: string): SQL {
  return sql`insert into ${auditLog} (actor_ref, action, unit_id, group_id, allowed, detail)
    select ${`bot:${botAccountId}`}, 'group.bind', c.unit_id, c.id, true,
      jsonb_build_object('by', ${by}::text, 'roomId', c.room_id, 'topic', c.topic)
    from claimed c`
}

/**
 * Binds a room to a unit by a staff member's 绑定: re-points a bound room, claims an imported group
 * of the same topic, or records a new group. A topic held by another room gets the room id appended,
 * since WeChat allows two rooms with one topic but the registry keys topics uniquely.
 */
export async function bindRoomToUnit(
  db: Db,
  sighting: RoomSighting & { unitId: number; kind?: GroupKind },
): Promise<BoundGroup> {
  await db.transaction(async (tx) => {
    const [byRoom] = await tx
      .select({ id: groups.id })
      .from(groups)
      .where(eq(groups.roomId, sighting.roomId))
    const patch = {
      unitId: sighting.unitId,
      botAccountId: sighting.botAccountId,
      active: true,
      updatedAt: sql`now()`,
      ...(sighting.kind ? { kind: sighting.kind } : {}),
    }
    if (byRoom) {
      await tx.update(groups).set(patch).where(eq(groups.id, byRoom.id))
      return
    }
    const [byTopic] = await tx
      .select({ id: groups.id, roomId: groups.roomId })
      .from(groups)
      .where(eq(groups.topic, sighting.topic))
    if (byTopic && byTopic.roomId === null) {
      await tx
        .update(groups)
        .set({ ...patch, roomId: sighting.roomId })
        .where(eq(groups.id, byTopic.id))
      return
    }
    const topic = byTopic ? `${sighting.topic}#${sighting.roomId}` : sighting.topic
    await tx.insert(groups).values({
      unitId: sighting.unitId,
      topic,
      kind: sighting.kind ?? 'residents',
      botAccountId: sighting.botAccountId,
      roomId: sighting.roomId,
    })
  })
  const bound = await findGroupByRoomId(db, sighting.roomId)
  if (!bound) throw new Error(`room ${sighting.roomId} was not bound`)
  return bound
}

/** Follows a topic change of a bound room, unless the new topic belongs to another group. */
export async function renameRoom(db: Db, roomId: string, topic: string): Promise<void> {
  const [taken] = await db.select({ id: groups.id }).from(groups).where(eq(groups.topic, topic))
  if (taken) return
  await db.update(groups).set({ topic, updatedAt: sql`now()` }).where(eq(groups.roomId, roomId))
}

/** The bot was removed from the room: keep the row and its history, stop sending there. */
export async function deactivateRoom(db: Db, roomId: string): Promise<void> {
  await db
    .update(groups)
    .set({ active: false, updatedAt: sql`now()` })
    .where(eq(groups.roomId, roomId))
}

/** Groups of the given accounts (all when omitted) that no room is bound to yet. */
export async function countUnboundGroups(
  db: Db,
  botAccountIds?: readonly number[],
): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(groups)
    .where(
      and(
        isNull(groups.roomId),
        botAccountIds ? inArray(groups.botAccountId, [...botAccountIds]) : undefined,
      ),
    )
  return row?.n ?? 0
}
