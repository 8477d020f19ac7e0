import { writeFile } from 'node:fs/promises'
import { extname } from 'node:path'
import ExcelJS from 'exceljs'
import { UsageError } from './command.ts'

/** What a CLI listing writes to a file for staff to open in Excel or WPS. */
export interface Table {
  sheet: string
  headers: readonly string[]
  rows: readonly (readonly (string | number)[])[]
}

/**
 * A cell as CSV: quoted when it must be, and a leading = + - @ defused with a quote mark, since
 * Excel would run it as a formula (a group topic or a reason is text somebody typed).
 */
function csvCell(value: string | number): string {
  const text =
    typeof value === 'number' ? String(value) : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** Writes `table` as .xlsx or .csv (UTF-8 with a BOM, so Excel reads the Chinese), by extension. */
export async function writeTable(path: string, table: Table): Promise<void> {
  const ext = extname(path).toLowerCase()
  if (ext === '.csv') {
    const lines = [table.headers, ...table.rows].map((row) => row.map(csvCell).join(','))
    await writeFile(path, `\uFEFF${lines.join('\r\n')}\r\n`)
    return
  }
  if (ext !== '.xlsx') throw new UsageError(`--out 只支持 .xlsx 或 .csv 文件：${path}`)
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet(table.sheet)
  sheet.addRow([...table.headers]).font = { bold: true }
  for (const row of table.rows) sheet.addRow([...row])
  sheet.columns.forEach((column) => {
    column.width = 18
  })
  await workbook.xlsx.writeFile(path)
}
