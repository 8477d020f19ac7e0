import type { Db } from '../db/client.ts'
import { readCsv } from './csv-reader.ts'
import { applyPlan } from './import-apply.ts'
import { lookupKnown } from './import-known.ts'
import { planImport } from './import-plan.ts'
import { type ImportResult, sortErrors } from './import-result.ts'
import { parseRows } from './import-rows.ts'

export type { ImportResult } from './import-result.ts'

/**
 * Imports a district's tree from CSV bytes (format: fixtures/README.md). A file with any error
 * writes nothing and lists every bad row; otherwise everything is written in one transaction.
 * Running the same file again changes nothing.
 */
export async function importNetwork(db: Db, bytes: Uint8Array): Promise<ImportResult> {
  const read = readCsv(bytes)
  const parsed = parseRows(read.records)
  // The database is read inside the transaction that writes, so the checks and the writes see
  // the same network.
  return db.transaction(async (tx) => {
    const known = await lookupKnown(tx, parsed.rows)
    const planned = planImport(parsed.rows, known)
    const errors = [...read.errors, ...parsed.errors, ...(planned.ok ? [] : planned.errors)]
    if (errors.length > 0 || !planned.ok) return { ok: false, errors: sortErrors(errors) }
    return { ok: true, ...(await applyPlan(tx, planned.plan)) }
  })
}
