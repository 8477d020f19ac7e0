import { asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { botAccounts, groups, units } from '../db/schema/network.ts'
import { selectInBatches } from './batches.ts'
import type { KnownNetwork } from './import-plan.ts'
import type { UnitRow } from './import-rows.ts'
import { ancestorPaths } from './names.ts'

/** Looks up what the plan needs to know about the database, in batched queries. */
export async function lookupKnown(db: Db, rows: readonly UnitRow[]): Promise<KnownNetwork> {
  const filePaths = new Set(rows.map((r) => r.path))
  const wanted = new Set<string>(filePaths)
  for (const row of rows) for (const p of ancestorPaths(row.path)) wanted.add(p)

  const found = await selectInBatches([...wanted], (batch) =>
    db.select({ path: units.path }).from(units).where(inArray(units.path, batch)),
  )
  const unitPaths = new Set(found.map((r) => r.path))

  const topics = [...new Set(rows.flatMap((r) => r.groups.map((g) => g.topic)))]
  const owners = await selectInBatches(topics, (batch) =>
    db
      .select({ topic: groups.topic, path: units.path })
      .from(groups)
      .innerJoin(units, eq(units.id, groups.unitId))
      .where(inArray(groups.topic, batch)),
  )
  const topicUnits = new Map(owners.map((r) => [r.topic, r.path]))

  // Only units above the file's rows and absent from the file can pass a bot down to them.
  const outside = [...unitPaths].filter((p) => !filePaths.has(p))
  const bots = await selectInBatches(outside, (batch) =>
    db
      .select({ path: units.path, bot: botAccounts.name })
      .from(groups)
      .innerJoin(units, eq(units.id, groups.unitId))
      .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
      .where(inArray(units.path, batch))
      .orderBy(asc(groups.id)),
  )
  const unitBots = new Map<string, string>()
  // The oldest group's account stands for the unit.
  for (const r of bots) if (!unitBots.has(r.path)) unitBots.set(r.path, r.bot)

  return { unitPaths, topicUnits, unitBots }
}
