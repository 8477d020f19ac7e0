import { eq } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { members, roles, units } from '../db/schema/network.ts'
import type { RoleGrant } from './permissions.ts'

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
    .where(eq(members.wechatId, wechatId))
  const first = rows[0]
  if (!first) return undefined
  const grants: RoleGrant[] = []
  for (const r of rows) {
    if (r.role && r.unitId !== null && r.unitPath !== null) {
      grants.push({ role: r.role, unitId: r.unitId, unitPath: r.unitPath })
    }
  }
  return { id: first.id, name: first.name, wechatId: first.wechatId, grants }
}
