import type { SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type { Sql } from 'postgres'
import type { Db } from './client.ts'
import { postgresJsOf } from './pool.ts'
import { MAX_PREPARED_PARAMS } from './prepared.ts'
import { rowsOf } from './rows.ts'

/** The statements of one transaction, sent as soon as they are asked for. */
export interface PipelinedTx {
  /** Sends a statement behind those sent before, without waiting for them; resolves to its rows. */
  run<R>(query: SQL): Promise<R[]>
  /** Sends the last statement and the commit together; the transaction ends with them. */
  commitWith<R>(query: SQL): Promise<R[]>
}

const dialect = new PgDialect()

type Reserved = Awaited<ReturnType<Sql['reserve']>>

/**
 * Runs `fn` in one transaction with `begin` sent along with its first statements and `commit`
 * along with its last: a transaction of two exchanges with PostgreSQL is two round trips, not the
 * four of `db.transaction` (which waits for `begin`, and sends `commit` once the callback is done).
 * On postgres.js, on a connection of its own for the transaction's length; statements go in the
 * order they are asked for, and each may start before the one before it has answered (so `run`
 * what must precede in the order it must run). PGlite, with no round trips to save, runs it as a
 * plain transaction.
 */
export async function pipelinedTransaction<T>(
  db: Db,
  fn: (tx: PipelinedTx) => Promise<T>,
): Promise<T> {
  const client = postgresJsOf(db)
  if (!client) {
    return db.transaction((tx) =>
      fn({
        run: async (query) => rowsOf(await tx.execute(query)),
        commitWith: async (query) => rowsOf(await tx.execute(query)),
      }),
    )
  }
  const conn = await client.reserve()
  let ended = false
  try {
    const send = (query: SQL | string) => statementOn(conn, query)
    const begun = send('begin')
    // Awaited with each statement below; this only keeps a failed begin from going unhandled.
    begun.catch(() => {})
    const result = await fn({
      run: async (query) => {
        if (ended) throw new Error('pipelined transaction: run after commitWith')
        const [, rows] = await Promise.all([begun, send(query)])
        return rowsOf(rows)
      },
      commitWith: async (query) => {
        if (ended) throw new Error('pipelined transaction: commitWith twice')
        ended = true
        const rows = send(query)
        const commit = send('commit')
        const [last, committed] = await Promise.allSettled([Promise.all([begun, rows]), commit])
        // A statement that failed made PostgreSQL answer the commit with ROLLBACK.
        if (last.status === 'rejected') throw last.reason
        if (committed.status === 'rejected') throw committed.reason
        if ((committed.value as { command?: string }).command !== 'COMMIT') {
          throw new Error('pipelined transaction: PostgreSQL rolled the transaction back')
        }
        return rowsOf(last.value[1])
      },
    })
    if (!ended) {
      ended = true
      await Promise.all([begun, send('commit')])
    }
    return result
  } catch (error) {
    if (!ended) await statementOn(conn, 'rollback').catch(() => {})
    throw error
  } finally {
    conn.release()
  }
}

/**
 * Hands the statement to the connection at once (`execute`), not when awaited: statements are
 * queued in the order this is called. Named as db/prepared.ts names them.
 */
function statementOn(conn: Reserved, query: SQL | string): Promise<unknown> {
  if (typeof query === 'string') return conn.unsafe(query).execute()
  const { sql: text, params } = dialect.sqlToQuery(query)
  return conn
    .unsafe(text, params as never[], { prepare: params.length <= MAX_PREPARED_PARAMS })
    .execute()
}
