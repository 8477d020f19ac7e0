import type { Sql } from 'postgres'
import type { Db } from './client.ts'

/** The postgres.js client under a drizzle database; undefined on PGlite, which has no pool. */
export function postgresJsOf(db: Db): Sql | undefined {
  const client = (db as unknown as { $client?: Partial<Sql> }).$client
  return typeof client?.reserve === 'function' ? (client as Sql) : undefined
}

/**
 * Opens every connection of the pool now. postgres.js opens them as load asks, each a TCP
 * connect, start-up, authentication and a read of the array types: paid by the first messages
 * after a start, 100 ms and more of the first residents' wait (bench intake, cold).
 */
export async function openPool(db: Db): Promise<void> {
  const sql = postgresJsOf(db)
  if (!sql) return
  await Promise.all(Array.from({ length: sql.options.max }, () => sql`select 1`))
}
