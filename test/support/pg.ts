import { inject } from 'vitest'
import { adminUrl, withDatabase } from './pg-url.ts'
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.ts'

export { adminUrl, withDatabase }

export type TestDatabase = ScratchDatabase

/** A fresh, migrated database of its own for one test file (a clone of the run's template). */
export function createTestDatabase(opts: { max?: number } = {}): Promise<TestDatabase> {
  return createScratchDatabase({ template: inject('templateDb'), ...opts })
}
