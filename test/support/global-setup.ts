import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../../db/client.ts'
import { adminUrl, withDatabase } from './pg-url.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string
  }
}

/**
 * Migrates one template database per run; each test file clones it (CREATE DATABASE … TEMPLATE),
 * which costs a few milliseconds instead of a migration per file. The name is unique per run so
 * two runs on one server never trip over each other.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = `quanqun_tpl_${randomBytes(5).toString('hex')}`
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`)
  } catch (error) {
    await admin.end()
    throw new Error(
      `PostgreSQL at ${adminUrl()} is needed for the tests (set TEST_DATABASE_URL): ${String(error)}`,
    )
  }
  const template = openDatabase({ url: withDatabase(adminUrl(), name), max: 1 })
  await template.migrate()
  await template.close()
  project.provide('templateDb', name)
  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
}
