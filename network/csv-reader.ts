import type { ImportError } from './import-result.ts'
import { reasons } from './templates.ts'

/** One CSV record: its fields and the line of the file where it starts. */
export interface CsvRecord {
  line: number
  fields: string[]
}

export interface CsvReadResult {
  records: CsvRecord[]
  errors: ImportError[]
}

/** A line (or a quoted record spanning lines) longer than this is refused: no unit needs 64 KiB. */
export const MAX_LINE_BYTES = 64 * 1024

const LF = 0x0a
const CR = 0x0d
const QUOTE = 0x22
const BOM = [0xef, 0xbb, 0xbf]

interface Pending {
  line: number
  fields: string[]
  field: string
  inQuotes: boolean
  /** Set after the field's closing quote, so a doubled quote can still be recognised. */
  quoteSeen: boolean
  bytes: number
  bad: boolean
}

/**
 * Reads RFC 4180 CSV from raw bytes. Lines are found on the bytes, so an over-long line is
 * refused by its length alone, never decoded; each line is decoded on its own with a fatal
 * decoder, so invalid UTF-8 is reported with its line number. Quoted fields may span lines.
 * A record with a bad line is dropped whole and reported; reading goes on with the next one.
 */
export function readCsv(bytes: Uint8Array): CsvReadResult {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  const records: CsvRecord[] = []
  const errors: ImportError[] = []
  let start = bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? 3 : 0
  let lineNo = 0
  let pending: Pending | undefined

  const finish = (p: Pending) => {
    if (p.bad) return
    p.fields.push(p.field)
    // A blank line outside quotes is no record (spreadsheets leave them at the end).
    if (p.fields.length === 1 && p.fields[0] === '' && !p.quoteSeen) return
    records.push({ line: p.line, fields: p.fields })
  }

  while (start < bytes.length) {
    lineNo++
    let end = bytes.indexOf(LF, start)
    if (end === -1) end = bytes.length
    let stop = end
    if (stop > start && bytes[stop - 1] === CR) stop--
    const p: Pending = pending ?? {
      line: lineNo,
      fields: [],
      field: '',
      inQuotes: false,
      quoteSeen: false,
      bytes: 0,
      bad: false,
    }
    p.bytes += stop - start
    let text: string | undefined
    if (stop - start > MAX_LINE_BYTES) {
      errors.push({ line: lineNo, reason: reasons.lineTooLong(MAX_LINE_BYTES / 1024) })
    } else if (p.bytes > MAX_LINE_BYTES) {
      if (!p.bad)
        errors.push({ line: p.line, reason: reasons.recordTooLong(MAX_LINE_BYTES / 1024) })
    } else {
      try {
        text = decoder.decode(bytes.subarray(start, stop))
      } catch {
        errors.push({ line: lineNo, reason: reasons.invalidUtf8() })
      }
    }
    if (text === undefined) {
      // Keep track of quoting on the raw bytes (0x22 never occurs inside a multi-byte UTF-8
      // sequence) so the records after a bad line are still split where they really are.
      p.bad = true
      for (let i = start; i < stop; i++) if (bytes[i] === QUOTE) p.inQuotes = !p.inQuotes
    } else {
      scanLine(p, text)
    }
    if (p.inQuotes) {
      p.field += '\n'
      pending = p
    } else {
      finish(p)
      pending = undefined
    }
    start = end + 1
  }
  if (pending) errors.push({ line: pending.line, reason: reasons.unclosedQuote() })
  return { records, errors }
}

/** Advances the record state over one decoded line (without its line break). */
function scanLine(p: Pending, line: string): void {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (p.inQuotes) {
      if (c !== '"') {
        p.field += c
      } else if (line[i + 1] === '"') {
        p.field += '"'
        i++
      } else {
        p.inQuotes = false
      }
    } else if (c === ',') {
      p.fields.push(p.field)
      p.field = ''
      p.quoteSeen = false
    } else if (c === '"' && p.field === '' && !p.quoteSeen) {
      p.inQuotes = true
      p.quoteSeen = true
    } else {
      // A quote inside an unquoted field, or text after a closing quote, is kept as typed
      // (as spreadsheets do) rather than refusing the row.
      p.field += c
    }
  }
}
