/**
 * Open311 parameters, parsed once at the edge into typed values: a POSTed request (form-encoded
 * or JSON) and the filters of requests.json. Pure. Anything malformed is one error naming the
 * field; strings are trimmed, NFC-normalised and bounded, numbers may come as form strings.
 */
import { z } from 'zod'
import { parseLocalTime } from '../../core/local-time.ts'
import { codePointLength } from '../../core/text.ts'
import type { OrderStatus } from '../../db/schema/orders.ts'
import { OPEN_ORDER_STATUSES } from '../../orders/state-machine.ts'
import { open311Texts } from './texts.ts'

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }

// Invisible format characters (zero-width joiners inside emoji, bidi overrides) are dropped, as
// the chat's normaliser drops them; other control characters are refused, but a description keeps
// its line breaks (a browser's CRLF included) and a tab reads as a space.
const FORMAT = /\p{Cf}/gu
const CONTROL = /\p{Cc}/u
const CONTROL_BUT_NEWLINE = /[^\P{Cc}\n]/u

/** A field's type error: missing reads as required, anything else as the wrong type. */
const typeError = (wrong: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? '必填' : wrong

function text(max: number, opts: { multiline?: boolean } = {}) {
  return z
    .string({ error: typeError('须为字符串') })
    .transform((s) => {
      const clean = s.normalize('NFC').replace(FORMAT, '')
      return (opts.multiline ? clean.replace(/\r\n?/g, '\n').replace(/\t/g, ' ') : clean).trim()
    })
    .refine((s) => codePointLength(s) <= max, `最长 ${max} 字`)
    .refine((s) => !(opts.multiline ? CONTROL_BUT_NEWLINE : CONTROL).test(s), '含有控制字符')
}

const optionalText = (max: number) =>
  text(max)
    .optional()
    .transform((s) => (s === '' ? undefined : s))

const coordinate = (limit: number) =>
  z
    .union([z.number(), z.string().regex(/^\s*-?\d{1,3}(\.\d{1,12})?\s*$/, '须为十进制度数')], {
      error: typeError('须为数字'),
    })
    .transform(Number)
    .refine((n) => Number.isFinite(n) && Math.abs(n) <= limit, `须在 -${limit} 到 ${limit} 之间`)
    .optional()

const SERVICE_CODE = /^[a-z][a-z0-9-]{1,39}$/

/** The longest description accepted, in characters: the chat's limit for a 点单 is 500 too. */
const MAX_DESCRIPTION = 500

const PostSchema = z
  .object({
    service_code: z
      .string({ error: typeError('须为字符串') })
      .trim()
      .regex(SERVICE_CODE, '须为 services.json 中的 service_code')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    description: text(MAX_DESCRIPTION, { multiline: true }).refine((s) => s !== '', '不能为空'),
    address_string: optionalText(200),
    lat: coordinate(90),
    long: coordinate(180),
    // Short enough that name and phone fit the order's resident name (64 characters).
    first_name: optionalText(16),
    last_name: optionalText(16),
    phone: optionalText(20).refine(
      (p) => p === undefined || /^\+?[\d\s()-]{3,20}$/.test(p),
      '须为电话号码',
    ),
    email: optionalText(100).refine(
      (e) => e === undefined || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e),
      '须为邮箱地址',
    ),
    account_id: optionalText(64),
    /** Where the request belongs: a unit's path (quanqun's extension of Open311). */
    unit: optionalText(500),
  })
  .refine((r) => (r.lat === undefined) === (r.long === undefined), {
    message: 'lat 与 long 须同时提供',
    path: ['lat'],
  })

export type PostRequest = z.infer<typeof PostSchema>

function firstError(error: z.ZodError): string {
  const issue = error.issues[0]!
  return open311Texts.badField(issue.path.join('.') || '请求', issue.message)
}

/** A POSTed request's fields (unknown fields, Open311's `attribute[…]` and `media_url`, ignored). */
export function parsePostRequest(body: Record<string, unknown>): Parsed<PostRequest> {
  const parsed = PostSchema.safeParse(body)
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: firstError(parsed.error) }
}

export interface ListQuery {
  codes?: string[]
  serviceCodes?: string[]
  statuses?: OrderStatus[]
  from?: Date
  to?: Date
}

// Open311 asks for the last 90 days when no date is given.
const DEFAULT_DAYS = 90
const DAY_MS = 24 * 3600_000
const MAX_IDS = 100
const ORDER_CODE = /^[A-Z]\d{4,6}$/
const CLOSED_STATUSES: readonly OrderStatus[] = ['done', 'rated', 'cancelled']

/** "a, b,,c" → ["a", "b", "c"]; undefined when absent. */
function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

function date(field: string, value: string | undefined, zone: string): Parsed<Date | undefined> {
  if (value === undefined || value.trim() === '') return { ok: true, value: undefined }
  const at = value.length <= 40 ? parseLocalTime(value, zone) : undefined
  return at
    ? { ok: true, value: at }
    : {
        ok: false,
        error: open311Texts.badField(field, '须为 ISO 8601 时间，例如 2025-06-01T09:00:00+08:00'),
      }
}

/**
 * The filters of requests.json. Open311's `status` open/closed maps onto the order's statuses:
 * closed is done (awaiting the rating), rated or withdrawn; everything else is open.
 */
export function parseListQuery(
  query: Record<string, string | undefined>,
  zone: string,
  now: Date,
): Parsed<ListQuery> {
  const out: ListQuery = {}
  const ids = list(query.service_request_id)
  if (ids) {
    const codes = ids.map((id) => id.toUpperCase())
    if (codes.length > MAX_IDS || codes.some((c) => !ORDER_CODE.test(c))) {
      return {
        ok: false,
        error: open311Texts.badField(
          'service_request_id',
          `须为至多 ${MAX_IDS} 个单号，用逗号分隔`,
        ),
      }
    }
    out.codes = codes
  }
  const services = list(query.service_code)
  if (services) {
    if (services.some((s) => !SERVICE_CODE.test(s))) {
      return {
        ok: false,
        error: open311Texts.badField('service_code', '须为 services.json 中的 service_code'),
      }
    }
    out.serviceCodes = services
  }
  const statuses = list(query.status)
  if (statuses) {
    if (statuses.some((s) => s !== 'open' && s !== 'closed')) {
      return { ok: false, error: open311Texts.badField('status', '须为 open 或 closed') }
    }
    out.statuses = [
      ...(statuses.includes('open') ? OPEN_ORDER_STATUSES : []),
      ...(statuses.includes('closed') ? CLOSED_STATUSES : []),
    ]
  }
  const from = date('start_date', query.start_date, zone)
  if (!from.ok) return from
  const to = date('end_date', query.end_date, zone)
  if (!to.ok) return to
  if (from.value && to.value && from.value.getTime() > to.value.getTime()) {
    return { ok: false, error: open311Texts.badField('end_date', '不能早于 start_date') }
  }
  if (from.value) out.from = from.value
  if (to.value) out.to = to.value
  // Asked by id, a request is found whenever it was placed; otherwise the last 90 days.
  if (!out.codes && !out.from && !out.to) out.from = new Date(now.getTime() - DEFAULT_DAYS * DAY_MS)
  return { ok: true, value: out }
}

/** Open311's status of an order. */
export function open311Status(status: OrderStatus): 'open' | 'closed' {
  return CLOSED_STATUSES.includes(status) ? 'closed' : 'open'
}
