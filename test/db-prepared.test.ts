import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_PREPARED_PARAMS } from '../db/prepared.ts'
import { units } from '../db/schema/network.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

// One connection, so the statements drizzle ran are the ones pg_prepared_statements lists.
describe('drizzle statements on postgres.js are named (prepared once per connection)', () => {
  let t: TestDatabase
  const named = async (): Promise<string[]> => {
    const rows = await t.db
      .select({ statement: sql<string>`statement` })
      .from(sql`pg_prepared_statements`)
    return rows.map((r) => r.statement)
  }

  beforeAll(async () => {
    t = await createTestDatabase({ max: 1 })
  })
  afterAll(async () => {
    await t.close()
  })

  it('a query built with parameters is named, and running it again adds no statement', async () => {
    const byPath = (path: string) => t.db.select().from(units).where(eq(units.path, path))
    await byPath('/a/')
    const before = await named()
    expect(before.filter((s) => s.includes('"units"."path" = $1'))).toHaveLength(1)
    await byPath('/b/')
    expect((await named()).length).toBe(before.length)
  })

  it('inside a transaction and a savepoint too', async () => {
    await t.db.transaction(async (tx) => {
      await tx.select().from(units).where(eq(units.tier, 3))
      await tx.transaction(async (inner) => {
        await inner.select().from(units).where(eq(units.name, 'x'))
      })
    })
    const all = await named()
    expect(all.some((s) => s.includes('"units"."tier" = $1'))).toBe(true)
    expect(all.some((s) => s.includes('"units"."name" = $1'))).toBe(true)
  })

  it('a statement whose text grows with its data (many parameters) stays unnamed', async () => {
    const rows = Array.from({ length: MAX_PREPARED_PARAMS }, (_, i) => ({
      tier: 5,
      name: `b${i}`,
      path: `/bulk/${i}/`,
    }))
    const inserted = await t.db.insert(units).values(rows).returning({ id: units.id })
    expect(inserted).toHaveLength(MAX_PREPARED_PARAMS)
    expect((await named()).some((s) => s.startsWith('insert into "units"'))).toBe(false)
  })
})
