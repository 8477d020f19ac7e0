/**
 * The Open311 API's keys, one per integration. A key is 32 random bytes, printed once by
 * `quanqun api-key create`; only its SHA-256 is stored (a key is not a password a person chose:
 * it cannot be guessed, so a fast hash is enough, and one indexed look-up finds it).
 */
import { createHash, randomBytes } from 'node:crypto'
import { and, asc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { units } from '../../db/schema/network.ts'
import { apiKeys } from '../../db/schema/open311.ts'
import { findUnitByPath } from '../../network/queries.ts'

/** A live key as a request is served with it: who, and the subtree it is limited to. */
export interface ApiKey {
  id: number
  name: string
  unitId: number | null
  unitPath: string | null
}

// A name is how staff tell integrations apart in the CLI and the audit log.
const NAME = /^[\p{L}\p{N}_.-]{1,64}$/u
// Keys look like this, so a stray value (a phone number, a path) is not even hashed.
const KEY = /^qq311_[A-Za-z0-9_-]{43}$/
const PREFIX = 'qq311_'

function hashOf(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

export type CreateResult =
  | { ok: true; key: string; unitPath: string | null }
  | { ok: false; problem: 'badName' | 'exists' | 'unknownUnit' }

/** A new key for `name`, limited to the subtree at `unitPath` when given. */
export async function createApiKey(db: Db, name: string, unitPath?: string): Promise<CreateResult> {
  if (!NAME.test(name)) return { ok: false, problem: 'badName' }
  const unit = unitPath === undefined ? undefined : await findUnitByPath(db, unitPath)
  if (unitPath !== undefined && !unit) return { ok: false, problem: 'unknownUnit' }
  const key = PREFIX + randomBytes(32).toString('base64url')
  const inserted = await db
    .insert(apiKeys)
    .values({ name, keyHash: hashOf(key), unitId: unit?.id ?? null })
    .onConflictDoNothing({ target: apiKeys.name })
    .returning({ id: apiKeys.id })
  if (inserted.length === 0) return { ok: false, problem: 'exists' }
  return { ok: true, key, unitPath: unit?.path ?? null }
}

/** Every key, live or revoked, by name; never the key itself. */
export async function listApiKeys(db: Db) {
  return db
    .select({
      name: apiKeys.name,
      unitPath: units.path,
      createdAt: apiKeys.createdAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .leftJoin(units, eq(units.id, apiKeys.unitId))
    .orderBy(asc(apiKeys.name))
}

/** Revokes the live key `name`; false when there is none (unknown, or revoked already). */
export async function revokeApiKey(db: Db, name: string, at: Date): Promise<boolean> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id })
  return revoked.length > 0
}

/** The live key `key` is, or undefined (malformed, unknown or revoked). */
export async function liveKey(db: Db, key: string): Promise<ApiKey | undefined> {
  if (!KEY.test(key)) return undefined
  const [row] = await db
    .select({ id: apiKeys.id, name: apiKeys.name, unitId: apiKeys.unitId, unitPath: units.path })
    .from(apiKeys)
    .leftJoin(units, eq(units.id, apiKeys.unitId))
    .where(and(eq(apiKeys.keyHash, hashOf(key)), isNull(apiKeys.revokedAt)))
    .limit(1)
  return row
}
