import type { Role } from '../db/schema/network.ts'
import { findCoveringGrant, isWithin, type RoleGrant } from '../network/permissions.ts'
import type { RequiredRole } from './commands/types.ts'

/** Which roles satisfy each requirement of the grammar; admins may do everything staff may. */
const rolesSatisfying: {
  readonly [R in Exclude<RequiredRole, 'resident'>]: readonly Role[]
} = {
  worker: ['grid_worker', 'volunteer', 'station_staff', 'admin'],
  station_staff: ['station_staff', 'admin'],
  propagandist: ['propagandist', 'admin'],
  // Binding re-points where notices and orders go: not for grid workers or volunteers.
  staff: ['admin', 'propagandist', 'station_staff'],
}

/**
 * Who may bring the bot into a room (an invitation, or adding it directly): staff and grid
 * workers, who set up building groups. Such a room may then claim an imported group by its topic.
 */
export const INVITER_ROLES: readonly Role[] = [...rolesSatisfying.staff, 'grid_worker']

export type Authorization =
  | { allowed: true; grant?: RoleGrant }
  | { allowed: false; required: Exclude<RequiredRole, 'resident'> }

/**
 * Anyone may act as a resident; every other requirement needs a role covering `unitPath`. With
 * `orBelow`, a role on a unit under it counts too: a grid worker answers in the community's workers
 * group, and the domain then checks the order or notice itself against the exact grant.
 */
export function authorize(
  required: RequiredRole,
  grants: readonly RoleGrant[],
  unitPath: string,
  opts: { orBelow?: boolean } = {},
): Authorization {
  if (required === 'resident') return { allowed: true }
  const roles = rolesSatisfying[required]
  const grant =
    findCoveringGrant(grants, roles, unitPath) ??
    (opts.orBelow
      ? grants.find((g) => roles.includes(g.role) && isWithin(g.unitPath, unitPath))
      : undefined)
  return grant ? { allowed: true, grant } : { allowed: false, required }
}
