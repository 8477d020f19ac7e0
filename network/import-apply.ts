import { inArray, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { botAccounts, groups, members, roles, units } from '../db/schema/network.ts'
import { batches, selectInBatches } from './batches.ts'
import type { ImportPlan, PlannedUnit } from './import-plan.ts'
import { type ImportCounts, zeroCounts } from './import-result.ts'
import type { GroupKind, Role, UnitBody } from './types.ts'

export interface ApplyCounts {
  created: ImportCounts
  updated: ImportCounts
  unchanged: ImportCounts
}

/**
 * Writes a validated plan. Call it inside a transaction: it reads what exists, then inserts what
 * is new and upserts what changed, one multi-row statement per table per batch. Inserts use
 * ON CONFLICT DO NOTHING and are re-read, so a concurrent import of the same rows is counted as
 * unchanged instead of failing. Nothing is ever deleted: a file adds to the network or updates it.
 */
export async function applyPlan(db: Db, plan: ImportPlan): Promise<ApplyCounts> {
  const counts: ApplyCounts = {
    created: zeroCounts(),
    updated: zeroCounts(),
    unchanged: zeroCounts(),
  }
  const botIds = await writeBotAccounts(db, plan.botAccounts, counts)
  const unitIds = await writeUnits(db, plan.units, counts)
  await writeGroups(db, plan, unitIds, botIds, counts)
  const memberIds = await writeMembers(db, plan, counts)
  await writeRoles(db, plan, unitIds, memberIds, counts)
  return counts
}

async function writeBotAccounts(
  db: Db,
  names: readonly string[],
  counts: ApplyCounts,
): Promise<Map<string, number>> {
  const existing = await selectInBatches(names, (batch) =>
    db
      .select({ id: botAccounts.id, name: botAccounts.name })
      .from(botAccounts)
      .where(inArray(botAccounts.name, batch)),
  )
  const ids = new Map(existing.map((r) => [r.name, r.id]))
  counts.unchanged.botAccounts += ids.size
  const fresh = names.filter((n) => !ids.has(n))
  for (const batch of batches(fresh)) {
    const inserted = await db
      .insert(botAccounts)
      .values(batch.map((name) => ({ name })))
      .onConflictDoNothing({ target: botAccounts.name })
      .returning({ id: botAccounts.id, name: botAccounts.name })
    for (const r of inserted) ids.set(r.name, r.id)
    counts.created.botAccounts += inserted.length
  }
  const raced = fresh.filter((n) => !ids.has(n))
  if (raced.length > 0) {
    const rows = await selectInBatches(raced, (batch) =>
      db
        .select({ id: botAccounts.id, name: botAccounts.name })
        .from(botAccounts)
        .where(inArray(botAccounts.name, batch)),
    )
    for (const r of rows) ids.set(r.name, r.id)
    counts.unchanged.botAccounts += rows.length
  }
  return ids
}

/** Inserts units a tier at a time so every parent's id is known before its children are written. */
async function writeUnits(
  db: Db,
  planned: readonly PlannedUnit[],
  counts: ApplyCounts,
): Promise<Map<string, number>> {
  const wanted = new Set<string>()
  for (const u of planned) {
    wanted.add(u.path)
    if (u.parentPath !== undefined) wanted.add(u.parentPath)
  }
  const existing = await selectUnits(db, [...wanted])
  const ids = new Map([...existing].map(([path, r]) => [path, r.id]))

  const byTier = new Map<number, PlannedUnit[]>()
  for (const u of planned) {
    const tier = byTier.get(u.tier)
    if (tier) tier.push(u)
    else byTier.set(u.tier, [u])
  }
  for (const tier of [...byTier.keys()].sort((a, b) => a - b)) {
    const fresh: PlannedUnit[] = []
    const changed: PlannedUnit[] = []
    for (const u of byTier.get(tier)!) {
      const old = existing.get(u.path)
      if (!old) fresh.push(u)
      // An empty body cell keeps what the unit has, so a file listing only paths changes nothing.
      else if (u.body !== undefined && u.body !== old.body) changed.push(u)
      else counts.unchanged.units++
    }
    const row = (u: PlannedUnit) => ({
      path: u.path,
      name: u.name,
      tier: u.tier,
      parentId: u.parentPath === undefined ? null : ids.get(u.parentPath)!,
      body: u.body ?? null,
    })
    for (const batch of batches(fresh)) {
      const inserted = await db
        .insert(units)
        .values(batch.map(row))
        .onConflictDoNothing({ target: units.path })
        .returning({ id: units.id, path: units.path })
      for (const r of inserted) ids.set(r.path, r.id)
      counts.created.units += inserted.length
    }
    const raced = fresh.filter((u) => !ids.has(u.path)).map((u) => u.path)
    for (const [path, r] of await selectUnits(db, raced)) ids.set(path, r.id)
    counts.unchanged.units += raced.length
    for (const batch of batches(changed)) {
      await db
        .insert(units)
        .values(batch.map(row))
        .onConflictDoUpdate({ target: units.path, set: { body: sql`excluded.body` } })
      counts.updated.units += batch.length
    }
  }
  return ids
}

async function selectUnits(
  db: Db,
  paths: readonly string[],
): Promise<Map<string, { id: number; body: UnitBody | null }>> {
  const rows = await selectInBatches(paths, (batch) =>
    db
      .select({ id: units.id, path: units.path, body: units.body })
      .from(units)
      .where(inArray(units.path, batch)),
  )
  return new Map(rows.map((r) => [r.path, { id: r.id, body: r.body }]))
}

async function writeGroups(
  db: Db,
  plan: ImportPlan,
  unitIds: ReadonlyMap<string, number>,
  botIds: ReadonlyMap<string, number>,
  counts: ApplyCounts,
): Promise<void> {
  const existing = await selectInBatches(
    plan.groups.map((g) => g.topic),
    (batch) =>
      db
        .select({ topic: groups.topic, kind: groups.kind, botAccountId: groups.botAccountId })
        .from(groups)
        .where(inArray(groups.topic, batch)),
  )
  const old = new Map(existing.map((r) => [r.topic, r]))
  const rows: {
    topic: string
    unitId: number
    kind: GroupKind
    botAccountId: number | null
  }[] = []
  const changed: typeof rows = []
  for (const g of plan.groups) {
    const botAccountId = g.bot === undefined ? undefined : botIds.get(g.bot)!
    const before = old.get(g.topic)
    const row = { topic: g.topic, unitId: unitIds.get(g.unitPath)!, kind: g.kind }
    if (!before) rows.push({ ...row, botAccountId: botAccountId ?? null })
    else if (
      before.kind !== g.kind ||
      (botAccountId !== undefined && botAccountId !== before.botAccountId)
    )
      changed.push({ ...row, botAccountId: botAccountId ?? before.botAccountId })
    else counts.unchanged.groups++
  }
  for (const batch of batches(rows)) {
    const inserted = await db
      .insert(groups)
      .values(batch)
      .onConflictDoNothing({ target: groups.topic })
      .returning({ id: groups.id })
    counts.created.groups += inserted.length
    counts.unchanged.groups += batch.length - inserted.length
  }
  for (const batch of batches(changed)) {
    // The unit is never changed here: the plan refused topics that belong to another unit.
    await db
      .insert(groups)
      .values(batch)
      .onConflictDoUpdate({
        target: groups.topic,
        set: {
          kind: sql`excluded.kind`,
          botAccountId: sql`excluded.bot_account_id`,
          updatedAt: sql`now()`,
        },
      })
    counts.updated.groups += batch.length
  }
}

async function writeMembers(
  db: Db,
  plan: ImportPlan,
  counts: ApplyCounts,
): Promise<Map<string, number>> {
  const select = (ids: readonly string[]) =>
    selectInBatches(ids, (batch) =>
      db
        .select({ id: members.id, wechatId: members.wechatId, name: members.name })
        .from(members)
        .where(inArray(members.wechatId, batch)),
    )
  const existing = new Map(
    (await select(plan.members.map((m) => m.wechatId))).map((r) => [r.wechatId, r]),
  )
  const ids = new Map([...existing].map(([wechatId, r]) => [wechatId, r.id]))
  const fresh = plan.members.filter((m) => !existing.has(m.wechatId))
  // A member's display name follows the latest file: people change their names.
  const renamed = plan.members.filter((m) => {
    const before = existing.get(m.wechatId)
    return before !== undefined && before.name !== m.name
  })
  counts.unchanged.members += existing.size - renamed.length
  for (const batch of batches(fresh)) {
    const inserted = await db
      .insert(members)
      .values(batch)
      .onConflictDoNothing({ target: members.wechatId })
      .returning({ id: members.id, wechatId: members.wechatId })
    for (const r of inserted) ids.set(r.wechatId, r.id)
    counts.created.members += inserted.length
  }
  const raced = fresh.filter((m) => !ids.has(m.wechatId))
  for (const r of await select(raced.map((m) => m.wechatId))) ids.set(r.wechatId, r.id)
  counts.unchanged.members += raced.length
  for (const batch of batches(renamed)) {
    await db
      .insert(members)
      .values(batch)
      .onConflictDoUpdate({ target: members.wechatId, set: { name: sql`excluded.name` } })
    counts.updated.members += batch.length
  }
  return ids
}

async function writeRoles(
  db: Db,
  plan: ImportPlan,
  unitIds: ReadonlyMap<string, number>,
  memberIds: ReadonlyMap<string, number>,
  counts: ApplyCounts,
): Promise<void> {
  const wanted = plan.roles.map((r) => ({
    memberId: memberIds.get(r.wechatId)!,
    unitId: unitIds.get(r.unitPath)!,
    role: r.role,
  }))
  const key = (r: { memberId: number; unitId: number; role: Role }) =>
    `${r.memberId}:${r.unitId}:${r.role}`
  const existing = await selectInBatches([...new Set(wanted.map((r) => r.memberId))], (batch) =>
    db
      .select({ memberId: roles.memberId, unitId: roles.unitId, role: roles.role })
      .from(roles)
      .where(inArray(roles.memberId, batch)),
  )
  const have = new Set(existing.map(key))
  const fresh = wanted.filter((r) => !have.has(key(r)))
  counts.unchanged.roles += wanted.length - fresh.length
  for (const batch of batches(fresh)) {
    const inserted = await db
      .insert(roles)
      .values(batch)
      .onConflictDoNothing({ target: [roles.memberId, roles.unitId, roles.role] })
      .returning({ id: roles.id })
    counts.created.roles += inserted.length
    counts.unchanged.roles += batch.length - inserted.length
  }
}
