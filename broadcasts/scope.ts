import { asc, like } from 'drizzle-orm'
import { splitPath } from '../core/unit-path.ts'
import type { Db } from '../db/client.ts'
import { units } from '../db/schema/network.ts'
import { escapeLike, joinPath, normalizePath } from '../network/names.ts'
import { findUnitByPath, findUnitsByName } from '../network/queries.ts'
import type { Unit } from '../network/types.ts'
import { defaultScope, mayAuthor, type NoticeActor } from './authorize.ts'

export type ScopeResolution =
  | { kind: 'unit'; unit: Unit }
  | { kind: 'unknown'; scope: string }
  | { kind: 'ambiguous'; scope: string; paths: string[] }
  /** No scope written and the actor holds no unit to default to. */
  | { kind: 'noDefault' }

/**
 * "九龙坡区 > 石桥铺街道", "石桥铺街道、科园社区" → '/'-joined, as people type paths in chat; a
 * stray separator at either end ("九龙坡区／石桥铺街道／") is dropped.
 */
export function canonicalScope(scope: string): string {
  return joinPath(splitPath(scope).filter((name) => name !== ''))
}

/**
 * What a written scope names: a full path, the tail of one ("科园社区/第一网格"), or a unit name.
 * A name several units share ("第一网格") resolves to the one the actor may author for, when
 * exactly one is; otherwise the reply lists the candidates. No scope means the actor's own unit.
 */
export async function resolveScope(
  db: Db,
  opts: { scope?: string | undefined; actor: NoticeActor; herePath?: string | undefined },
): Promise<ScopeResolution> {
  const { actor } = opts
  if (opts.scope === undefined || opts.scope.trim() === '') {
    if (actor.kind !== 'member' || !actor.member) return { kind: 'noDefault' }
    const grant = defaultScope(actor.member.grants, opts.herePath)
    const unit = grant && (await findUnitByPath(db, grant.unitPath))
    return unit ? { kind: 'unit', unit } : { kind: 'noDefault' }
  }
  const scope = canonicalScope(opts.scope)
  const path = normalizePath(scope)
  if (path === undefined || path === '') return { kind: 'unknown', scope: opts.scope }
  const exact = await findUnitByPath(db, path)
  if (exact) return { kind: 'unit', unit: exact }
  const found = path.includes('/')
    ? await db
        .select()
        .from(units)
        .where(like(units.path, `%/${escapeLike(path)}`))
        .orderBy(asc(units.path))
    : await findUnitsByName(db, path)
  if (found.length === 0) return { kind: 'unknown', scope: opts.scope }
  if (found.length === 1) return { kind: 'unit', unit: found[0]! }
  const mine = found.filter((u) => mayAuthor(actor, u.path))
  if (mine.length === 1 && actor.kind === 'member') return { kind: 'unit', unit: mine[0]! }
  return { kind: 'ambiguous', scope: opts.scope, paths: found.map((u) => u.path) }
}
