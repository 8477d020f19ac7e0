import type { Db } from '../db/client.ts'
import { findUnitByPath } from '../network/queries.ts'
import { cliTexts } from '../orders/templates.ts'

/**
 * `--unit <路径>` read as the unit's stored path (full-width and spacing forgiven): absent when the
 * flag was not given; not ok, with the operator told, when no unit has that path.
 */
export async function unitFlag(
  db: Db,
  value: string | boolean | undefined,
  out: (line: string) => void,
): Promise<{ ok: true; unitPath?: string } | { ok: false }> {
  if (typeof value !== 'string') return { ok: true }
  const unit = await findUnitByPath(db, value)
  if (!unit) {
    out(cliTexts.unknownUnit(value))
    return { ok: false }
  }
  return { ok: true, unitPath: unit.path }
}
