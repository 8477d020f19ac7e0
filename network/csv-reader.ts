import { parse } from 'csv-parse/sync'
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
const COMMA = 0x2c
const BOM = [0xef, 0xbb, 0xbf]

/** A physical line of the file: its byte length and whether it was refused on its own. */
interface Line {
  bytes: number
  bad: boolean
}

/**
 * Reads RFC 4180 CSV from raw bytes. csv-parse does the tokenising; this function guards it:
 * lines are found on the bytes, so an over-long line is refused by its length alone, never
 * decoded (csv-parse sees only its quotes and commas, so the records around it are still split
 * where they really are); each line is decoded on its own with a fatal decoder, so invalid UTF-8
 * is reported with its line number. Quoted fields may span lines. A record with a bad line, or
 * longer than the limit over many lines, is dropped whole and reported; the others are kept.
 */
export function readCsv(bytes: Uint8Array): CsvReadResult {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  const lenient = new TextDecoder('utf-8', { ignoreBOM: true })
  const errors: ImportError[] = []
  const lines: Line[] = [] // lines[n - 1] is line n
  const texts: string[] = []
  let start = bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? 3 : 0
  while (start < bytes.length) {
    let end = bytes.indexOf(LF, start)
    if (end === -1) end = bytes.length
    let stop = end
    if (stop > start && bytes[stop - 1] === CR) stop--
    const raw = bytes.subarray(start, stop)
    const lineNo = lines.length + 1
    if (raw.length > MAX_LINE_BYTES) {
      errors.push({ line: lineNo, reason: reasons.lineTooLong(MAX_LINE_BYTES / 1024) })
      lines.push({ bytes: raw.length, bad: true })
      texts.push(skeleton(raw))
    } else {
      try {
        texts.push(decoder.decode(raw))
        lines.push({ bytes: raw.length, bad: false })
      } catch {
        errors.push({ line: lineNo, reason: reasons.invalidUtf8() })
        lines.push({ bytes: raw.length, bad: true })
        // Quotes and commas are single bytes never found inside a multi-byte sequence, so the
        // lenient decoding splits the record exactly as the file does.
        texts.push(lenient.decode(raw))
      }
    }
    start = end + 1
  }

  const records: CsvRecord[] = []
  // csv-parse's raw text of each record (skipped blank lines included) tiles the input, so
  // counting its line breaks gives the line where every record starts.
  let lineNo = 1
  const place = (raw: string) => {
    let i = 0
    while (raw.charCodeAt(i) === LF) i++
    const first = lineNo + i
    let breaks = 0
    for (let j = i; j < raw.length; j++) if (raw.charCodeAt(j) === LF) breaks++
    lineNo = first + breaks
    const last = raw.endsWith('\n') ? lineNo - 1 : lineNo
    return { first, last }
  }
  parse(texts.join('\n'), {
    raw: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: '\n',
    skip_records_with_error: true,
    // Both callbacks run in file order, so `place` sees every raw text in turn.
    // With `raw`, each record comes as { raw, record }, which the typings do not know.
    on_record: (entry) => {
      const { raw, record } = entry as unknown as { raw: string; record: string[] }
      const { first, last } = place(raw)
      const span = lines.slice(first - 1, last)
      if (span.some((l) => l.bad)) return null
      if (span.reduce((n, l) => n + l.bytes, 0) > MAX_LINE_BYTES)
        errors.push({ line: first, reason: reasons.recordTooLong(MAX_LINE_BYTES / 1024) })
      else records.push({ line: first, fields: record })
      return null
    },
    on_skip: (error, raw) => {
      const { first } = place(raw ?? '')
      if (lines[first - 1]?.bad) return undefined
      errors.push({
        line: first,
        reason: error?.code === 'CSV_QUOTE_NOT_CLOSED' ? reasons.unclosedQuote() : csvProblem,
      })
      return undefined
    },
  })
  errors.sort((a, b) => a.line - b.line)
  return { records, errors }
}

/** Any other record csv-parse could not read (none is known with these options). */
const csvProblem = '无法按 CSV 格式读取'

/**
 * An over-long line as csv-parse needs to see it: its quotes and commas where they are, each run
 * of other bytes as one letter. Its content is never decoded.
 */
function skeleton(raw: Uint8Array): string {
  const out: string[] = []
  let inRun = false
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]
    if (b === QUOTE || b === COMMA) {
      out.push(b === QUOTE ? '"' : ',')
      inRun = false
    } else if (!inRun) {
      out.push('x')
      inRun = true
    }
  }
  return out.join('')
}
