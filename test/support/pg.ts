import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { inject } from 'vitest'
import { type Database, openDatabase } from '../../db/client.ts'
import { adminUrl, withDatabase } from './pg-url.ts'

export { adminUrl, withDatabase }

export interface TestDatabase extends Database {
  url: string
  name: string
}

/** A fresh, migrated database of its own for one test file; dropped on close. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `quanqun_t_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')}`)
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
