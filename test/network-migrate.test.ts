import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, openDatabase } from '../db/client.ts'
import { importNetwork } from '../network/import.ts'
import { adminUrl, withDatabase } from './support/pg.ts'

async function admin(statement: string): Promise<void> {
  const client = postgres(adminUrl(), { max: 1, onnotice: () => {} })
  try {
    await client.unsafe(statement)
  } finally {
    await client.end()
  }
}

// Not cloned from the migrated template: this database starts empty, as production's does.
describe('migrations on an empty database', () => {
  const name = `quanqun_t_empty_${randomBytes(6).toString('hex')}`
  let database: Database
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`)
    database = openDatabase({ url: withDatabase(adminUrl(), name), max: 2 })
  })
  afterAll(async () => {
    await database.close()
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  })

  it('create the network tables, re-run as a no-op, and take an import', async () => {
    const tables = async () =>
      (
        await database.db
          .select({ name: sql<string>`table_name` })
          .from(sql`information_schema.tables`)
          .where(sql`table_schema = 'public'`)
      )
        .map((r) => r.name)
        .sort()
    expect(await tables()).toEqual([])
    await database.migrate()
    const created = await tables()
    expect(created).toEqual(
      expect.arrayContaining(['audit_log', 'bot_accounts', 'groups', 'members', 'roles', 'units']),
    )
    await database.migrate()
    expect(await tables()).toEqual(created)
    const sample = readFileSync(new URL('../fixtures/sample-district.csv', import.meta.url))
    const result = await importNetwork(database.db, sample)
    expect(result.ok && result.created.units).toBe(24)
  })
})
