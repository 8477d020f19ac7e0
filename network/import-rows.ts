import { codePointLength, normalizeName } from '../core/text.ts'
import { splitPath } from '../core/unit-path.ts'
import type { CsvRecord } from './csv-reader.ts'
import type { ImportError } from './import-result.ts'
import { joinPath, MAX_NAME_LENGTH, nameProblem } from './names.ts'
import { fieldNames, reasons } from './templates.ts'
import { type GroupKind, MAX_TIER, type Role, type UnitBody } from './types.ts'
import {
  BODY_WORDS,
  COLUMN_WORDS,
  type Column,
  KIND_WORDS,
  lookupWord,
  ROLE_WORDS,
} from './vocabulary.ts'

interface GroupSpec {
  topic: string
  kind: GroupKind
}

interface MemberSpec {
  name: string
  role: Role
  wechatId: string
}

/** One CSV row read into typed values: a unit and what hangs on it. */
export interface UnitRow {
  line: number
  path: string
  tier: number
  /** Undefined when the cell is empty: an existing unit keeps its body. */
  body: UnitBody | undefined
  groups: GroupSpec[]
  /** The bot named on this row; empty cells inherit later, in the plan. */
  bot: string | undefined
  members: MemberSpec[]
}

export interface ParsedRows {
  rows: UnitRow[]
  errors: ImportError[]
}

const LIST_SEPARATOR = ';'
const KIND_SEPARATOR = '#'
const MEMBER_SEPARATOR = ':'

/**
 * Turns CSV records into unit rows, checking each row on its own (the plan checks rows against
 * each other and the database). A row whose path is unusable is left out; a row with a usable
 * path but a bad cell is kept so its children are not reported as orphans too.
 */
export function parseRows(records: readonly CsvRecord[]): ParsedRows {
  const errors: ImportError[] = []
  const [header, ...body] = records
  if (!header) return { rows: [], errors: [{ line: 1, reason: reasons.noHeader() }] }
  const columns = readHeader(header, errors)
  if (!columns) return { rows: [], errors }
  const rows: UnitRow[] = []
  for (const record of body) {
    const row = parseRow(record, columns, errors)
    if (row) rows.push(row)
  }
  return { rows, errors }
}

type ColumnIndex = Partial<Record<Column, number>> & { path: number; count: number }

function readHeader(header: CsvRecord, errors: ImportError[]): ColumnIndex | undefined {
  const index: Partial<Record<Column, number>> = {}
  let count = header.fields.length
  header.fields.forEach((raw, i) => {
    const word = normalizeName(raw)
    if (word === '' && i === header.fields.length - 1) {
      count = i // a trailing comma on the header line
      return
    }
    const column = lookupWord(COLUMN_WORDS, word)
    if (!column) errors.push({ line: header.line, reason: reasons.unknownColumn(word) })
    else if (index[column] !== undefined)
      errors.push({ line: header.line, reason: reasons.duplicateColumn(word) })
    else index[column] = i
  })
  if (index.path === undefined) {
    errors.push({ line: header.line, reason: reasons.missingPathColumn() })
    return undefined
  }
  return { ...index, path: index.path, count }
}

function parseRow(
  record: CsvRecord,
  columns: ColumnIndex,
  errors: ImportError[],
): UnitRow | undefined {
  const { line, fields } = record
  const problem = (reason: string) => errors.push({ line, reason })
  // Spreadsheets pad rows with empty cells; only a non-empty cell past the header is an error.
  if (fields.slice(columns.count).some((f) => normalizeName(f) !== ''))
    problem(reasons.tooManyFields(columns.count, fields.length))
  const cell = (column: Column) => {
    const i = columns[column]
    return i === undefined ? '' : normalizeName(fields[i] ?? '')
  }

  const path = parsePath(cell('path'), problem)
  const body = parseBody(cell('body'), problem)
  const groups = parseGroups(cell('groups'), problem)
  const bot = cell('bot')
  if (bot !== '') checkName(fieldNames.bot, bot, problem)
  const members = parseMembers(cell('members'), problem)
  if (!path) return undefined
  return {
    line,
    path: path.path,
    tier: path.tier,
    body,
    groups,
    bot: bot === '' ? undefined : bot,
    members,
  }
}

type Problem = (reason: string) => void

function checkName(what: string, value: string, problem: Problem): boolean {
  const p = nameProblem(value)
  if (p === 'control') problem(reasons.controlChars(what, value))
  if (p === 'too-long') problem(reasons.tooLong(what, value, MAX_NAME_LENGTH))
  return p === undefined
}

function parsePath(raw: string, problem: Problem): { path: string; tier: number } | undefined {
  if (raw === '') {
    problem(reasons.emptyPath())
    return undefined
  }
  const names = splitPath(raw)
  let ok = true
  names.forEach((name, i) => {
    if (name === '') {
      problem(reasons.emptyName(i + 1))
      ok = false
    } else if (!checkName(fieldNames.unit, name, problem)) {
      ok = false
    }
  })
  if (names.length > MAX_TIER) {
    problem(reasons.tooManyTiers(names.length))
    ok = false
  }
  return ok ? { path: joinPath(names), tier: names.length } : undefined
}

function parseBody(raw: string, problem: Problem): UnitBody | undefined {
  if (raw === '') return undefined
  const body = lookupWord(BODY_WORDS, raw)
  if (!body) problem(reasons.badBody(raw))
  return body
}

function items(raw: string): string[] {
  return raw
    .split(LIST_SEPARATOR)
    .map(normalizeName)
    .filter((s) => s !== '')
}

function parseGroups(raw: string, problem: Problem): GroupSpec[] {
  const out: GroupSpec[] = []
  for (const item of items(raw)) {
    const hash = item.lastIndexOf(KIND_SEPARATOR)
    const topic = normalizeName(hash === -1 ? item : item.slice(0, hash))
    const kindWord = hash === -1 ? '' : normalizeName(item.slice(hash + 1))
    const kind = kindWord === '' ? 'residents' : lookupWord(KIND_WORDS, kindWord)
    if (topic === '') problem(reasons.emptyTopic())
    else if (!kind) problem(reasons.badKind(topic, kindWord))
    else if (checkName(fieldNames.topic, topic, problem)) out.push({ topic, kind })
  }
  return out
}

// A WeChat id is one token: letters, digits, '_' and '-' in practice; whitespace never.
const BAD_ID = /[\s\p{Cc}\p{Cf}]/u

function parseMembers(raw: string, problem: Problem): MemberSpec[] {
  const out: MemberSpec[] = []
  for (const item of items(raw)) {
    const parts = item.split(MEMBER_SEPARATOR).map(normalizeName)
    if (parts.length !== 3 || parts[0] === '' || parts[1] === '') {
      problem(reasons.badMember(item))
      continue
    }
    const [name, roleWord, wechatId] = parts as [string, string, string]
    const role = lookupWord(ROLE_WORDS, roleWord)
    let ok = checkName(fieldNames.member, name, problem)
    if (!role) {
      problem(reasons.badRole(roleWord))
      ok = false
    }
    if (wechatId === '') {
      problem(reasons.emptyWechatId(name))
      ok = false
    } else if (BAD_ID.test(wechatId)) {
      problem(reasons.badWechatId(wechatId))
      ok = false
    } else if (codePointLength(wechatId) > MAX_NAME_LENGTH) {
      problem(reasons.tooLong(fieldNames.wechatId, wechatId, MAX_NAME_LENGTH))
      ok = false
    }
    if (ok && role) out.push({ name, role, wechatId })
  }
  return out
}
