/**
 * Routing (自己能办自己办、一般事项站办、重大事项中心办), pure: the unit handling an order is the
 * resident's own unit or its ancestor at the category's tier. A resident speaking in a group above
 * that tier (a community-wide group ordering a grid matter) is served by their own unit: nobody
 * below it knows them.
 */

export interface RouteUnit {
  id: number
  tier: number
  path: string
}

/**
 * `ancestors` is the resident's unit first, then its parent, up to the district (as
 * network/queries.ts `ancestors` returns it). Undefined only for an empty list.
 */
export function routeUnit<U extends RouteUnit>(
  ancestors: readonly U[],
  tier: number,
): U | undefined {
  const own = ancestors[0]
  if (!own) return undefined
  if (own.tier <= tier) return own
  // Nearest first; a tree missing the exact tier (a building straight under a community) gives
  // the nearest unit above it, never one below.
  return ancestors.find((u) => u.tier <= tier) ?? ancestors.at(-1)
}

/** The unit one tier up from `unitId` on the same ancestors list; undefined at the top. */
export function parentOf<U extends RouteUnit>(
  ancestors: readonly U[],
  unitId: number,
): U | undefined {
  const at = ancestors.findIndex((u) => u.id === unitId)
  return at < 0 ? undefined : ancestors[at + 1]
}
