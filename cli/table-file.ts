import { writeFile } from 'node:fs/promises'
import { extname } from 'node:path'
import ExcelJS from 'exceljs'
import { toCsv } from '../core/csv.ts'
import { UsageError } from './command.ts'

/** What a CLI listing writes to a file for staff to open in Excel or WPS. */
export interface Table {
  sheet: string
  headers: readonly string[]
  rows: readonly (readonly (string | number)[])[]
}

/** Writes `table` as .xlsx or .csv (UTF-8 with a BOM, so Excel reads the Chinese), by extension. */
export async function writeTable(path: string, table: Table): Promise<void> {
  const ext = extname(path).toLowerCase()
  if (ext === '.csv') {
    await writeFile(path, toCsv(table.headers, table.rows))
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
