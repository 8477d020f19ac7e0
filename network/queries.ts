import {
  and,
  asc,
  count,
  eq,
  getTableColumns,
  inArray,
  like,
  lte,
  or,
  type SQL,
  sql,
} from 'drizzle-orm'
import { normalizeName } from '../core/text.ts'
import { anyInt } from '../db/any-of.ts'
import type { Db } from '../db/client.ts'
import { groups, units } from '../db/schema/network.ts'
import {
  ancestorPaths,
  descendantsPattern,
  escapeLike,
  normalizePath,
  PATH_SEPARATOR,
} from './names.ts'
import {
  emptyTierCounts,
  type GroupKind,
  type GroupWithUnit,
  TIERS,
  type TierCounts,
  type Unit,
} from './types.ts'

/** The unit at `path` ("九龙坡区/石桥铺街道"); full-width characters and spaces are forgiven. */
export async function findUnitByPath(db: Db, path: string): Promise<Unit | undefined> {
  const normalized = normalizePath(path)
  if (normalized === undefined) return undefined
  const [unit] = await db.select().from(units).where(eq(units.path, normalized)).limit(1)
  return unit
}

/** Units whose own name is `name` ("第一网格" is in many communities), by path. */
export async function findUnitsByName(db: Db, name: string): Promise<Unit[]> {
  return db
    .select()
    .from(units)
    .where(eq(units.name, normalizeName(name)))
    .orderBy(asc(units.path))
}

async function pathOf(db: Db, unitId: number): Promise<string | undefined> {
  const [row] = await db.select({ path: units.path }).from(units).where(eq(units.id, unitId))
  return row?.path
}

/**
 * The unit at `path` and everything below it. The pattern is a constant with LIKE's wildcards
 * escaped, so the text_pattern_ops index on path serves it as a range scan.
 */
function inSubtree(path: string): SQL {
  return or(eq(units.path, path), like(units.path, descendantsPattern(path)))!
}

/** The unit itself and every unit below it, optionally only some tiers, by tier then path. */
export async function subtreeUnits(
  db: Db,
  unitId: number,
  opts: { tiers?: number[] } = {},
): Promise<Unit[]> {
  const path = await pathOf(db, unitId)
  if (path === undefined) return []
  return db
    .select()
    .from(units)
    .where(and(inSubtree(path), opts.tiers ? inArray(units.tier, opts.tiers) : undefined))
    .orderBy(asc(units.tier), asc(units.path))
}

export interface SubtreeGroupsOptions {
  tiers?: number[]
  kinds?: GroupKind[]
  activeOnly?: boolean
}

/** The groups bound to the unit or any unit below it, by tier, then path, then id. */
export async function subtreeGroups(
  db: Db,
  unitId: number,
  opts: SubtreeGroupsOptions = {},
): Promise<GroupWithUnit[]> {
  const path = await pathOf(db, unitId)
  if (path === undefined) return []
  return db
    .select({ ...getTableColumns(groups), tier: units.tier, unitPath: units.path })
    .from(groups)
    .innerJoin(units, eq(units.id, groups.unitId))
    .where(
      and(
        inSubtree(path),
        opts.tiers ? inArray(units.tier, opts.tiers) : undefined,
        opts.kinds ? inArray(groups.kind, opts.kinds) : undefined,
        opts.activeOnly ? eq(groups.active, true) : undefined,
      ),
    )
    .orderBy(asc(units.tier), asc(units.path), asc(groups.id))
}

function toTierCounts(rows: { tier: number; n: number }[]): TierCounts {
  const counts = emptyTierCounts()
  for (const t of TIERS) counts[t] = Number(rows.find((r) => r.tier === t)?.n ?? 0)
  return counts
}

/** Units per tier in the subtree (the unit itself included); every tier present, 0 when none. */
export async function countUnitsByTier(db: Db, unitId: number): Promise<TierCounts> {
  const path = await pathOf(db, unitId)
  if (path === undefined) return emptyTierCounts()
  const rows = await db
    .select({ tier: units.tier, n: count() })
    .from(units)
    .where(inSubtree(path))
    .groupBy(units.tier)
  return toTierCounts(rows)
}

/** Groups per tier of the unit they are bound to, in the subtree; inactive groups count too. */
export async function countGroupsByTier(db: Db, unitId: number): Promise<TierCounts> {
  const path = await pathOf(db, unitId)
  if (path === undefined) return emptyTierCounts()
  const rows = await db
    .select({ tier: units.tier, n: count() })
    .from(groups)
    .innerJoin(units, eq(units.id, groups.unitId))
    .where(inSubtree(path))
    .groupBy(units.tier)
  return toTierCounts(rows)
}

/** One unit by id; undefined when there is none. */
export async function unitById(db: Db, id: number): Promise<Unit | undefined> {
  const [unit] = await db.select().from(units).where(eq(units.id, id))
  return unit
}

/**
 * The unit itself first, then its parent, and so on up to the district, read now: for reads
 * inside a transaction. Everywhere else `unitChainsOf(services).of(id)` answers from the cache.
 */
export async function ancestors(db: Db, unitId: number): Promise<Unit[]> {
  return (await readChains(db, [unitId])).get(unitId) ?? []
}

/**
 * The chains of several units in one statement: every unit whose path is one of theirs or a
 * prefix of one (cut at each separator in SQL), put in order by chainsFrom.
 */
export async function readChains(db: Db, unitIds: readonly number[]): Promise<Map<number, Unit[]>> {
  const found = await db
    .select()
    .from(units)
    .where(onChainsOf(sql`${units} where ${anyInt(units.id, unitIds)}`))
  return chainsFrom(found, unitIds)
}

/**
 * Units on the chains of the units `from` yields (a FROM clause over `units`): each of their paths
 * and every prefix of one, cut at each separator in SQL.
 */
export function onChainsOf(from: SQL): SQL {
  return sql`${units.path} = any(array(
    select array_to_string(s.parts[1:n], ${PATH_SEPARATOR})
    from (select string_to_array(${units.path}, ${PATH_SEPARATOR}) as parts from ${from}) s,
         generate_series(1, cardinality(s.parts)) as n))`
}

/** Each unit's chain out of a set of units holding it and its ancestors; empty if it is not there. */
export function chainsFrom(
  found: readonly Unit[],
  unitIds: readonly number[],
): Map<number, Unit[]> {
  const byId = new Map(found.map((u) => [u.id, u]))
  const byPath = new Map(found.map((u) => [u.path, u]))
  const chains = new Map<number, Unit[]>()
  for (const id of unitIds) {
    const start = byId.get(id)
    const chain = start
      ? [start.path, ...ancestorPaths(start.path)].flatMap((p) => byPath.get(p) ?? [])
      : []
    chains.set(
      id,
      chain.sort((a, b) => b.tier - a.tier),
    )
  }
  return chains
}

/**
 * Units under any of `paths` (a staff member's scopes), by path: the console's scope picker. A
 * `name` narrows to units whose name contains it; without one, only the upper tiers are listed.
 */
export async function unitsWithin(
  db: Db,
  paths: readonly string[],
  opts: { name?: string; maxTier: number; limit: number },
): Promise<Unit[]> {
  if (paths.length === 0) return []
  const name = opts.name ? normalizeName(opts.name) : ''
  return db
    .select()
    .from(units)
    .where(
      and(
        or(...paths.map(inSubtree)),
        name === '' ? lte(units.tier, opts.maxTier) : like(units.name, `%${escapeLike(name)}%`),
      ),
    )
    .orderBy(asc(units.path))
    .limit(opts.limit)
}
