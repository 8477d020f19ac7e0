import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { type Database, openDatabase } from '../../db/client.ts'

export const TEMPLATE_DB = 'quanqun_test_template'

/** The server the tests use; CI's .ci/run sets it, a developer machine defaults to the local one. */
export function adminUrl(): string {
  return (
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test'
  )
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

export interface TestDatabase extends Database {
  url: string
  name: string
}

/** A fresh, migrated database of its own for one test file; dropped on close. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `quanqun_t_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`)
  } finally {
    await admin.end()
  }
  const url = withDatabase(adminUrl(), name)
  const database = openDatabase({ url, max: 4 })
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
