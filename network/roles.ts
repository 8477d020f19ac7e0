import { asc, eq, or, type SQL } from 'drizzle-orm'
import { anyText } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { members, roles, units } from '../db/schema/network.ts'
import type { RoleGrant } from './permissions.ts'

/** A member with every role they hold: who the bot and the CLI act for or on. */
export interface KnownMember {
  id: number
  name: string
  wechatId: string
  grants: RoleGrant[]
}

/** The member behind a chat contact id with every role they hold; undefined for residents. */
export async function findMemberByWechatId(
  db: Db,
  wechatId: string,
): Promise<KnownMember | undefined> {
  return (await findMembersByWechatIds(db, [wechatId])).get(wechatId)
}

/** Members matching `where`, each joined with every role they hold, oldest member first. */
async function readMembers(db: Db, where: SQL | undefined): Promise<Map<string, KnownMember>> {
  const rows = await db
    .select({
      id: members.id,
      name: members.name,
      wechatId: members.wechatId,
      role: roles.role,
      unitId: roles.unitId,
      unitPath: units.path,
    })
    .from(members)
    .leftJoin(roles, eq(roles.memberId, members.id))
    .leftJoin(units, eq(units.id, roles.unitId))
    .where(where)
    .orderBy(asc(members.id))
  return membersFrom(rows)
}

/** Many contact ids in one statement (the bot looks up the talkers of messages arriving together). */
function findMembersByWechatIds(
  db: Db,
  wechatIds: readonly string[],
): Promise<Map<string, KnownMember>> {
  return readMembers(db, anyText(members.wechatId, wechatIds))
}

/** Members named `who` (display name) or with 微信号 `who`, with their roles, by member id. */
export async function findMembersByNameOrId(db: Db, who: string): Promise<KnownMember[]> {
  const name = who.normalize('NFKC').trim()
  if (name === '') return []
  const found = await readMembers(db, or(eq(members.wechatId, name), eq(members.name, name)))
  return [...found.values()]
}

/** A member's row joined with each role they hold (none: one row of nulls), as read. */
export interface MemberRoleRow {
  id: number
  name: string
  wechatId: string
  role: RoleGrant['role'] | null
  unitId: number | null
  unitPath: string | null
}

/** Members by contact id, each with the grants of their rows. */
export function membersFrom(rows: readonly MemberRoleRow[]): Map<string, KnownMember> {
  const found = new Map<string, KnownMember>()
  for (const r of rows) {
    let member = found.get(r.wechatId)
    if (!member) {
      member = { id: r.id, name: r.name, wechatId: r.wechatId, grants: [] }
      found.set(r.wechatId, member)
    }
    if (r.role && r.unitId !== null && r.unitPath !== null) {
      member.grants.push({ role: r.role, unitId: r.unitId, unitPath: r.unitPath })
    }
  }
  return found
}
