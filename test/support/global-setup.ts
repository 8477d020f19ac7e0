import postgres from 'postgres'
import { openDatabase } from '../../db/client.ts'
import { adminUrl, TEMPLATE_DB, withDatabase } from './pg.ts'

/**
 * Migrates one template database per run; each test file clones it (CREATE DATABASE … TEMPLATE),
 * which costs a few milliseconds instead of a migration per file.
 */
export default async function setup(): Promise<void> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
    await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DB}`)
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${adminUrl()} is needed for the tests (set TEST_DATABASE_URL): ${String(error)}`,
    )
  } finally {
    await admin.end()
  }
  const template = openDatabase({ url: withDatabase(adminUrl(), TEMPLATE_DB), max: 1 })
  await template.migrate()
  await template.close()
}
