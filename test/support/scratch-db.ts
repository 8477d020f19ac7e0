import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { type Database, openDatabase } from '../../db/client.ts'
import { adminUrl, withDatabase } from './pg-url.ts'

export interface ScratchDatabase extends Database {
  url: string
  name: string
}

/**
 * A database of its own on the test server, dropped on close: cloned from `template` (already
 * migrated) when given, else empty and migrated here. Tests and benchmarks both use it.
 */
export async function createScratchDatabase(
  opts: { template?: string; prefix?: string; max?: number } = {},
): Promise<ScratchDatabase> {
  const name = `${opts.prefix ?? 'quanqun_t'}_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(
      opts.template
        ? `CREATE DATABASE ${name} TEMPLATE ${opts.template}`
        : `CREATE DATABASE ${name}`,
    )
  } finally {
    await admin.end()
  }
  const url = withDatabase(adminUrl(), name)
  const database = openDatabase({ url, max: opts.max ?? 4 })
  if (!opts.template) await database.migrate()
  return {
    ...database,
    url,
    name,
    async close() {
      await database.close()
      const drop = postgres(adminUrl(), { max: 1, onnotice: () => {} })
      try {
        await drop.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await drop.end()
      }
    },
  }
}
