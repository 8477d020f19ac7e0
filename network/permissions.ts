import type { Role } from '../db/schema/network.ts'

/** A role a member holds on a unit; it covers that unit's whole subtree. */
export interface RoleGrant {
  role: Role
  unitId: number
  unitPath: string
}

/** True when `path` is `ancestorPath` itself or lies under it. */
export function isWithin(path: string, ancestorPath: string): boolean {
  return path === ancestorPath || path.startsWith(`${ancestorPath}/`)
}

/** The first grant among `grants` that gives one of `roles` over the unit at `unitPath`. */
export function findCoveringGrant(
  grants: readonly RoleGrant[],
  roles: readonly Role[],
  unitPath: string,
): RoleGrant | undefined {
  return grants.find((g) => roles.includes(g.role) && isWithin(unitPath, g.unitPath))
}

/** Grants whose role is one of `roles`, narrowest unit first (the most specific scope wins). */
export function grantsFor(grants: readonly RoleGrant[], roles: readonly Role[]): RoleGrant[] {
  return grants
    .filter((g) => roles.includes(g.role))
    .sort((a, b) => b.unitPath.split('/').length - a.unitPath.split('/').length)
}
