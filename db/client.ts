import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { preparing } from './prepared.ts'
import * as schema from './schema/index.ts'

/** Both drivers give this shape; domain code takes `Db` so a transaction or a test database slots in. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export interface Database {
  db: Db
  kind: 'postgres' | 'pglite'
  migrate(): Promise<void>
  close(): Promise<void>
}

/** The committed migrations (drizzle-kit), applied by migrate() and read by `quanqun doctor`. */
export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), 'migrations')

export interface DatabaseOptions {
  /** postgres:// URL; without one the embedded PGlite under `dataDir` is used. */
  url?: string | undefined
  /** Where PGlite keeps its files; 'memory://' keeps nothing on disk (tests). */
  dataDir?: string
  /** Pool size for postgres.js. */
  max?: number
}

export function openDatabase(options: DatabaseOptions): Database {
  if (options.url) {
    // onnotice: PostgreSQL's NOTICEs (e.g. "relation already exists, skipping") are not errors.
    const sql = postgres(options.url, { max: options.max ?? 10, onnotice: () => {} })
    const db = drizzlePostgres(preparing(sql), { schema }) as unknown as Db
    return {
      db,
      kind: 'postgres',
      migrate: () => migratePostgres(drizzlePostgres(sql), { migrationsFolder }),
      close: () => sql.end({ timeout: 5 }),
    }
  }
  const dataDir = options.dataDir ?? '.data'
  const inMemory = dataDir.startsWith('memory://')
  const dir = inMemory ? dataDir : resolve(dataDir, 'pglite')
  if (!inMemory) mkdirSync(dir, { recursive: true })
  const client = new PGlite(dir)
  const db = drizzlePglite(client, { schema }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    migrate: () => migratePglite(drizzlePglite(client), { migrationsFolder }),
    close: () => client.close(),
  }
}
