import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

describe('migrations', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t.close()
  })

  it('create every table of the network on an empty database and re-run as a no-op', async () => {
    await t.migrate()
    const rows = await t.db
      .select({ name: sql<string>`table_name` })
      .from(sql`information_schema.tables`)
      .where(sql`table_schema = 'public'`)
    const names = rows.map((r) => r.name)
    expect(names).toEqual(
      expect.arrayContaining(['audit_log', 'bot_accounts', 'groups', 'members', 'roles', 'units']),
    )
  })
})
