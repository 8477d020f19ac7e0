import { generateDistrictCsv } from '../fixtures/generate-district.ts'
import { importNetwork } from '../network/import.ts'
import { createScratchDatabase, type ScratchDatabase } from '../test/support/scratch-db.ts'

/** A scratch database holding the generated Jiulongpo-sized district (11,181 groups, 22 accounts). */
export async function generatedDistrict(): Promise<ScratchDatabase> {
  const db = await createScratchDatabase({ prefix: 'quanqun_bench', max: 10 })
  const result = await importNetwork(db.db, new TextEncoder().encode(generateDistrictCsv()))
  if (!result.ok) throw new Error(`generated district did not import: ${result.errors[0]?.reason}`)
  return db
}
