import type { Config } from '../core/config.ts'
import { type Database, openDatabase } from '../db/client.ts'

/**
 * Runs a CLI command's work on the configured database, migrated first, and closes it afterwards.
 * Migrating is idempotent and cheap; it lets every command answer on a fresh data directory.
 */
export async function withDatabase<T>(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  fn: (database: Database) => Promise<T>,
  /** PostgreSQL pool size: one connection unless the work runs queries side by side. */
  max = 1,
): Promise<T> {
  const database = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max })
  try {
    await database.migrate()
    return await fn(database)
  } finally {
    await database.close()
  }
}
