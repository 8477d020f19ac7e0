import { inflateRawSync } from 'node:zlib'
import ExcelJS from 'exceljs'
import { normalizeName } from '../core/text.ts'
import type { CsvRecord } from './csv-reader.ts'
import type { ImportError } from './import-result.ts'
import { COLUMN_WORDS, lookupWord } from './vocabulary.ts'

/** The rows of one worksheet that has the header row, numbered as Excel/WPS shows them. */
interface RosterSheet {
  name: string
  records: CsvRecord[]
  errors: ImportError[]
}

export type WorkbookRead = { ok: true; sheets: RosterSheet[] } | { ok: false; reason: string }

/** A district's roster is a few MB at most; anything bigger is refused before it is unzipped. */
const MAX_WORKBOOK_BYTES = 16 * 1024 * 1024
/** The unzipped parts together (zip bombs declare far more). */
const MAX_UNZIPPED_BYTES = 32 * 1024 * 1024
/** Rows of all sheets together: Jiulongpo has about 9,500 units. */
export const MAX_WORKBOOK_ROWS = 100_000
/** Columns read per sheet: the roster has five. */
const MAX_COLUMNS = 50
/** The header row may sit below a few title rows. */
const HEADER_SEARCH_ROWS = 10

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0]

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b)

/** Whether the bytes are a zip, as every .xlsx is. */
export function isZip(bytes: Uint8Array): boolean {
  return startsWith(bytes, ZIP_MAGIC)
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`

/** Every Chinese sentence about workbooks, in one place. */
const workbookReasons = {
  notZip: (name: string) =>
    `${name} 不是有效的 .xlsx 工作簿（不是 zip 格式）；请在 Excel/WPS 中“另存为” Excel 工作簿 (.xlsx)`,
  oldFormat: (name: string) =>
    `${name} 是旧版 .xls/.et 格式或设置了打开密码，无法读取；请取消密码并在 Excel/WPS 中“另存为” Excel 工作簿 (.xlsx)`,
  tooBig: () => `工作簿超过 ${mib(MAX_WORKBOOK_BYTES)}，拒绝导入（一个区的名册不会这么大）`,
  tooBigUnzipped: () =>
    `工作簿解压后超过 ${mib(MAX_UNZIPPED_BYTES)}，拒绝导入（文件可能已损坏或被构造）`,
  badZip: () =>
    '工作簿的 zip 结构已损坏、已加密或与声明的大小不符，无法读取；请用 Excel/WPS 重新保存为 .xlsx',
  unreadable: () =>
    '无法读取工作簿（文件已损坏或不是 Excel 工作簿）；请用 Excel/WPS 重新保存为 .xlsx',
  noHeaderSheet: () =>
    `工作簿中没有表头含「路径」列的工作表（表头须在前 ${HEADER_SEARCH_ROWS} 行之内）`,
  tooManyRows: () => `工作簿超过 ${MAX_WORKBOOK_ROWS.toLocaleString('en-US')} 行，拒绝导入`,
  tooManyColumns: (column: string) =>
    `第 ${column} 列之后仍有内容：名册最多读取 ${MAX_COLUMNS} 列，请删除多余的列`,
  merged: (range: string) => `单元格 ${range} 是合并单元格，请取消合并并在每一行填写完整`,
  formulaNoValue: (address: string) =>
    `单元格 ${address} 是公式且没有保存计算结果；请把它复制后“选择性粘贴为数值”`,
  formulaError: (address: string, error: string) => `单元格 ${address} 的值是错误 ${error}`,
  date: (address: string) => `单元格 ${address} 是日期，应为文本；请把单元格设为文本格式后重新填写`,
  boolean: (address: string) => `单元格 ${address} 是 TRUE/FALSE，应为文本`,
  inexactNumber: (address: string, value: number) =>
    `单元格 ${address} 是数字 ${value}，无法准确当作文本；请把单元格设为文本格式后重新填写`,
  unknownValue: (address: string) => `单元格 ${address} 的内容无法识别，应为文本`,
}

/**
 * Reads a roster workbook: every worksheet whose header row (within its first rows) names the
 * `路径` column, in workbook order, each as CSV-like records numbered by worksheet row. Cells
 * are read as text: a formula gives its cached result (it is never evaluated), an integer its
 * digits; dates, booleans, error values and merged cells are refused with the cell's address.
 * Whole-file problems (not a zip, too big) refuse the workbook with one sentence.
 */
export async function readRosterWorkbook(bytes: Uint8Array, name: string): Promise<WorkbookRead> {
  if (startsWith(bytes, OLE_MAGIC)) return { ok: false, reason: workbookReasons.oldFormat(name) }
  if (!isZip(bytes)) return { ok: false, reason: workbookReasons.notZip(name) }
  if (bytes.length > MAX_WORKBOOK_BYTES) return { ok: false, reason: workbookReasons.tooBig() }
  const zip = checkZip(bytes)
  if (zip === undefined) return { ok: false, reason: workbookReasons.badZip() }
  if ('tooBig' in zip) return { ok: false, reason: workbookReasons.tooBigUnzipped() }

  const workbook = new ExcelJS.Workbook()
  try {
    await workbook.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never)
  } catch {
    return { ok: false, reason: workbookReasons.unreadable() }
  }
  const sheets: RosterSheet[] = []
  let rows = 0
  for (const worksheet of workbook.worksheets) {
    rows += worksheet.actualRowCount
    if (rows > MAX_WORKBOOK_ROWS) return { ok: false, reason: workbookReasons.tooManyRows() }
    const sheet = readSheet(worksheet)
    if (sheet) sheets.push(sheet)
  }
  if (sheets.length === 0) return { ok: false, reason: workbookReasons.noHeaderSheet() }
  return { ok: true, sheets }
}

function readSheet(worksheet: ExcelJS.Worksheet): RosterSheet | undefined {
  const header = findHeader(worksheet)
  if (!header) return undefined
  // The name is echoed in every error: no control characters, no longer than Excel allows.
  const name = [...worksheet.name.replace(/[\p{Cc}\p{Cf}]/gu, '')].slice(0, 31).join('')
  const sheet: RosterSheet = { name, records: [], errors: [] }
  const { first, last } = header
  for (let r = header.row; r <= worksheet.rowCount; r++) {
    const row = worksheet.getRow(r)
    if (!row.hasValues) continue
    const problems: string[] = []
    const fields: string[] = []
    for (let c = first; c <= Math.max(last, Math.min(row.cellCount, MAX_COLUMNS)); c++) {
      const cell = row.getCell(c)
      if (cell.isMerged) {
        problems.push(workbookReasons.merged(mergeRange(cell)))
        fields.push(cell.master === cell ? textOf(cell).text : '')
        continue
      }
      const { text, problem } = textOf(cell)
      if (problem) problems.push(problem)
      fields.push(text)
    }
    if (row.cellCount > MAX_COLUMNS && hasValuesPast(row, MAX_COLUMNS))
      problems.push(workbookReasons.tooManyColumns(columnName(MAX_COLUMNS)))
    // Only one complaint per merged range and row.
    for (const reason of new Set(problems)) sheet.errors.push({ line: r, reason })
    // Rows that only look filled (formatting, spaces) are skipped as blank CSV lines are.
    if (r !== header.row && fields.every((f) => normalizeName(f) === '') && problems.length === 0)
      continue
    sheet.records.push({ line: r, fields: r === header.row ? trimEnd(fields) : fields })
  }
  return sheet
}

/**
 * The header row: the first of the sheet's first rows whose cells are at least half column names, one of
 * them `路径`. A sheet without one (notes, a pivot) is not part of the roster.
 */
function findHeader(
  worksheet: ExcelJS.Worksheet,
): { row: number; first: number; last: number } | undefined {
  const limit = Math.min(worksheet.rowCount, HEADER_SEARCH_ROWS)
  for (let r = 1; r <= limit; r++) {
    const row = worksheet.getRow(r)
    let first = 0
    let last = 0
    let hasPath = false
    let cells = 0
    let known = 0
    for (let c = 1; c <= Math.min(row.cellCount, MAX_COLUMNS); c++) {
      const text = normalizeName(textOf(row.getCell(c)).text)
      if (text === '') continue
      if (first === 0) first = c
      last = c
      cells++
      const column = lookupWord(COLUMN_WORDS, text)
      if (column) known++
      if (column === 'path') hasPath = true
    }
    // At least half column names: a typo in one stays the header (and is reported as an unknown
    // column), a notes table that mentions 路径 among its words is not.
    if (hasPath && known * 2 >= cells) return { row: r, first, last }
  }
  return undefined
}

function trimEnd(fields: string[]): string[] {
  let n = fields.length
  while (n > 0 && normalizeName(fields[n - 1] ?? '') === '') n--
  return fields.slice(0, n)
}

function hasValuesPast(row: ExcelJS.Row, column: number): boolean {
  for (let c = column + 1; c <= row.cellCount; c++)
    if (normalizeName(textOf(row.getCell(c)).text) !== '') return true
  return false
}

function columnName(column: number): string {
  let name = ''
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26))
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name
  return name
}

function mergeRange(cell: ExcelJS.Cell): string {
  const master = cell.master
  const model = (cell.worksheet as unknown as { _merges?: Record<string, { range: string }> })
    ._merges
  return model?.[master.address]?.range ?? master.address
}

/** A cell's content as the text a CSV would hold, or why it cannot be taken as text. */
function textOf(cell: ExcelJS.Cell): { text: string; problem?: string } {
  return valueText(cell.value, cell.address)
}

function valueText(value: ExcelJS.CellValue, address: string): { text: string; problem?: string } {
  if (value === null || value === undefined) return { text: '' }
  if (typeof value === 'string') return { text: value }
  if (typeof value === 'number') {
    // A 微信号 or a name typed as digits comes back as a number: its digits are the text.
    if (Number.isSafeInteger(value)) return { text: String(value) }
    return { text: '', problem: workbookReasons.inexactNumber(address, value) }
  }
  if (typeof value === 'boolean') return { text: '', problem: workbookReasons.boolean(address) }
  if (value instanceof Date) return { text: '', problem: workbookReasons.date(address) }
  if (typeof value === 'object') {
    if ('richText' in value && Array.isArray(value.richText))
      return { text: value.richText.map((part) => part.text).join('') }
    if ('error' in value && typeof value.error === 'string')
      return { text: '', problem: workbookReasons.formulaError(address, value.error) }
    if ('formula' in value || 'sharedFormula' in value) {
      // Never evaluated: the result Excel/WPS saved with the file, or a refusal.
      const result = (value as { result?: unknown }).result
      if (result === undefined || result === null)
        return { text: '', problem: workbookReasons.formulaNoValue(address) }
      return valueText(result as ExcelJS.CellValue, address)
    }
    if ('text' in value && typeof value.text === 'string') return { text: value.text }
    if ('text' in value && typeof value.text === 'object')
      return valueText(value.text as ExcelJS.CellValue, address)
  }
  return { text: '', problem: workbookReasons.unknownValue(address) }
}

/**
 * Checks a zip before exceljs (through JSZip) unzips it whole in memory: the entries' declared
 * unzipped sizes together must stay under the limit, and each entry is inflated here with its
 * declared size as a hard cap, so an entry that lies about its size (a zip bomb) is refused
 * before anything grows. Undefined: the zip is broken, encrypted, ZIP64 or uses a compression
 * other than deflate.
 */
function checkZip(bytes: Uint8Array): { unzipped: number } | { tooBig: true } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const EOCD = 0x06054b50
  const CENTRAL = 0x02014b50
  const LOCAL = 0x04034b50
  // The end record is 22 bytes plus a comment of at most 65,535.
  let end = -1
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      end = i
      break
    }
  }
  if (end === -1) return undefined
  const entries = view.getUint16(end + 10, true)
  let at = view.getUint32(end + 16, true)
  let total = 0
  const found: { method: number; packed: number; size: number; local: number }[] = []
  for (let n = 0; n < entries; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) return undefined
    const flags = view.getUint16(at + 8, true)
    const method = view.getUint16(at + 10, true)
    const packed = view.getUint32(at + 20, true)
    const size = view.getUint32(at + 24, true)
    const local = view.getUint32(at + 42, true)
    if (flags & 1 || size === 0xffffffff || packed === 0xffffffff) return undefined
    total += size
    found.push({ method, packed, size, local })
    // The entry's name, extra field and comment follow its 46 fixed bytes.
    at +=
      46 +
      view.getUint16(at + 28, true) +
      view.getUint16(at + 30, true) +
      view.getUint16(at + 32, true)
  }
  if (total > MAX_UNZIPPED_BYTES) return { tooBig: true }
  for (const entry of found) {
    const { local } = entry
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) return undefined
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true)
    if (start + entry.packed > bytes.length) return undefined
    const data = bytes.subarray(start, start + entry.packed)
    if (entry.method === 0) {
      if (entry.packed !== entry.size) return undefined
    } else if (entry.method === 8) {
      try {
        const out = inflateRawSync(data, { maxOutputLength: Math.max(entry.size, 1) })
        if (out.length !== entry.size) return undefined
      } catch {
        // Bigger than declared (zlib stops at the cap) or not deflate data at all.
        return undefined
      }
    } else {
      return undefined
    }
  }
  return { unzipped: total }
}
