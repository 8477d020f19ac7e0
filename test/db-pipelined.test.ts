import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../db/client.ts'
import { pipelinedTransaction } from '../db/pipelined.ts'
import { openPool } from '../db/pool.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

const table = sql.raw('pipelined_probe')

describe('pipelined transactions (begin with the first statements, commit with the last)', () => {
  let t: TestDatabase
  /** Rows of a raw statement on postgres.js (an array). */
  const rows = async <R>(query: ReturnType<typeof sql>) =>
    (await t.db.execute(query)) as unknown as R[]
  const values = async () =>
    (await rows<{ v: number }>(sql`select v from ${table} order by v`)).map((r) => r.v)

  beforeAll(async () => {
    // Two connections: a transaction holds one of its own, the checks use the other.
    t = await createTestDatabase({ max: 2 })
    await t.db.execute(sql`create table ${table} (v int primary key)`)
  })
  afterAll(async () => {
    await t.close()
  })

  it('runs statements in the order asked, each seeing the ones before, and commits them together', async () => {
    const result = await pipelinedTransaction(t.db, async (tx) => {
      const [, counted] = await Promise.all([
        tx.run(sql`insert into ${table} values (1), (2)`),
        tx.run<{ n: number; xact: boolean }>(
          sql`select count(*)::int as n, txid_current_if_assigned() is not null as xact from ${table}`,
        ),
      ])
      // Not visible outside before the commit.
      expect(await values()).toEqual([])
      const last = await tx.commitWith<{ v: number }>(
        sql`insert into ${table} values (3) returning v`,
      )
      return { counted: counted[0], last }
    })
    expect(result).toEqual({ counted: { n: 2, xact: true }, last: [{ v: 3 }] })
    expect(await values()).toEqual([1, 2, 3])
  })

  it('rolls everything back when the statement sent with the commit fails, and says why', async () => {
    await expect(
      pipelinedTransaction(t.db, async (tx) => {
        await tx.run(sql`insert into ${table} values (10)`)
        return tx.commitWith(sql`insert into ${table} values (1)`)
      }),
    ).rejects.toThrow(/duplicate key/)
    expect(await values()).toEqual([1, 2, 3])
  })

  it('rolls back when a statement or the callback fails, and leaves the connection clean', async () => {
    await expect(
      pipelinedTransaction(t.db, async (tx) => {
        await Promise.all([
          tx.run(sql`insert into ${table} values (20)`),
          tx.run(sql`select 1 / 0`),
          tx.run(sql`insert into ${table} values (21)`),
        ])
      }),
    ).rejects.toThrow(/division by zero/)
    await expect(
      pipelinedTransaction(t.db, async (tx) => {
        await tx.run(sql`insert into ${table} values (22)`)
        throw new Error('decided against it')
      }),
    ).rejects.toThrow('decided against it')
    expect(await values()).toEqual([1, 2, 3])
    // Both connections of the pool again: neither is left inside a transaction.
    const outside = sql`select txid_current_if_assigned() is null as x`
    const states = await Promise.all([rows<{ x: boolean }>(outside), rows<{ x: boolean }>(outside)])
    expect(states.map((r) => r[0]?.x)).toEqual([true, true])
  })

  it('commits on its own when the callback ends without commitWith', async () => {
    const n = await pipelinedTransaction(t.db, async (tx) => {
      await tx.run(sql`insert into ${table} values (4)`)
      return 1
    })
    expect(n).toBe(1)
    expect(await values()).toEqual([1, 2, 3, 4])
  })

  it('is a plain transaction on PGlite', async () => {
    const lite = openDatabase({ dataDir: 'memory://' })
    try {
      await lite.db.execute(sql`create table ${table} (v int primary key)`)
      const rows = await pipelinedTransaction(lite.db, async (tx) => {
        await tx.run(sql`insert into ${table} values (7)`)
        return tx.commitWith<{ v: number }>(sql`select v from ${table}`)
      })
      expect(rows).toEqual([{ v: 7 }])
      await expect(
        pipelinedTransaction(lite.db, (tx) => tx.commitWith(sql`insert into ${table} values (7)`)),
      ).rejects.toThrow()
    } finally {
      await lite.close()
    }
  })
})

describe('opening the pool at start', () => {
  it('opens every connection of the pool, so the first messages do not wait for one', async () => {
    const t = await createTestDatabase({ max: 5 })
    try {
      const connections = async () => {
        const [row] = (await t.db.execute(
          sql`select count(*)::int as n from pg_stat_activity where datname = ${t.name}`,
        )) as unknown as { n: number }[]
        return row!.n
      }
      expect(await connections()).toBe(1)
      await openPool(t.db)
      expect(await connections()).toBe(5)
    } finally {
      await t.close()
    }
  })
})
