import type { Db } from '../db/client.ts'
import { type CsvRecord, readCsv } from './csv-reader.ts'
import { applyPlan } from './import-apply.ts'
import { lookupKnown } from './import-known.ts'
import { planImport } from './import-plan.ts'
import { type ImportError, type ImportResult, sortErrors } from './import-result.ts'
import { parseRows, type UnitRow } from './import-rows.ts'
import { isZip, readRosterWorkbook } from './roster-workbook.ts'

export type { ImportResult } from './import-result.ts'

/** One table of a roster file: a worksheet with its name, or a CSV's one table without one. */
interface RosterPart {
  name?: string
  records: CsvRecord[]
  errors: ImportError[]
}

/** A roster read from a file, its tables in file order. */
type Roster = { ok: true; sheets: RosterPart[] }

const WORKBOOK_NAME = /\.(xlsx|xlsm|xls|et)$/i

/**
 * Reads a roster file: a workbook when it is a zip (as .xlsx is) or named like one, otherwise
 * CSV. A workbook that cannot be read at all gives one sentence instead of sheets.
 */
export async function readRoster(
  bytes: Uint8Array,
  fileName = '',
): Promise<Roster | { ok: false; reason: string }> {
  if (isZip(bytes) || WORKBOOK_NAME.test(fileName))
    return readRosterWorkbook(bytes, fileName || '文件')
  return { ok: true, sheets: [readCsv(bytes)] }
}

/**
 * Imports a district's tree from a CSV or .xlsx file's bytes (format: fixtures/README.md). A
 * file with any error writes nothing and lists every bad row; otherwise everything is written
 * in one transaction. Running the same file again changes nothing. A workbook that cannot be
 * read at all is refused with one error at line 0.
 */
export async function importNetwork(
  db: Db,
  bytes: Uint8Array,
  fileName?: string,
): Promise<ImportResult> {
  const roster = await readRoster(bytes, fileName)
  if (!roster.ok) return { ok: false, errors: [{ line: 0, reason: roster.reason }] }
  return importRoster(db, roster)
}

/**
 * Imports a roster's sheets as one file: each sheet has its own header, their rows are checked
 * together (a path or topic given on two sheets is refused) and written all or nothing.
 */
export async function importRoster(db: Db, roster: Roster): Promise<ImportResult> {
  const { sheets } = roster
  const perSheet: ImportError[][] = sheets.map(() => [])
  const rows: UnitRow[] = []
  // With several sheets, rows are numbered through the workbook while planning (the plan needs
  // one number per row) and given back their sheet and row afterwards.
  const several = sheets.length > 1
  const places: { sheet: number; line: number }[] = []
  sheets.forEach((sheet, s) => {
    const parsed = parseRows(sheet.records)
    perSheet[s]!.push(...sheet.errors, ...parsed.errors)
    for (const row of parsed.rows) {
      if (!several) {
        rows.push(row)
        continue
      }
      places.push({ sheet: s, line: row.line })
      rows.push({ ...row, line: places.length })
    }
  })
  // The database is read inside the transaction that writes, so the checks and the writes see
  // the same network.
  return db.transaction(async (tx) => {
    const known = await lookupKnown(tx, rows)
    const planned = planImport(rows, known)
    for (const error of planned.ok ? [] : planned.errors) {
      if (!several) {
        perSheet[0]!.push(error)
        continue
      }
      const place = places[error.line - 1]
      if (!place) continue
      perSheet[place.sheet]!.push({
        line: place.line,
        reason: renumber(error.reason, place.sheet, places, sheets),
      })
    }
    const errors = perSheet.flatMap((list, s) => {
      const name = sheets[s]!.name
      return sortErrors(list).map((e) => (name === undefined ? e : { ...e, sheet: name }))
    })
    if (errors.length > 0 || !planned.ok) return { ok: false, errors }
    return { ok: true, ...(await applyPlan(tx, planned.plan)) }
  })
}

/** A plan reason's "第 N 行" (a row number through the workbook) as the sheet and row it is. */
function renumber(
  reason: string,
  sheet: number,
  places: readonly { sheet: number; line: number }[],
  sheets: readonly { name?: string }[],
): string {
  // Names quoted in 「」 are the file's own text and stay as they are.
  return reason
    .split(/(「[^」]*」)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/第 (\d+) 行/g, (text, n: string) => {
            const place = places[Number(n) - 1]
            if (!place) return text
            if (place.sheet === sheet) return `第 ${place.line} 行`
            return `工作表「${sheets[place.sheet]!.name}」第 ${place.line} 行`
          }),
    )
    .join('')
}
