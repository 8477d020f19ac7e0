/**
 * Open311 GeoReport v2 (JSON) over the service loop, for other systems: a 12345 hotline, a city
 * platform. Mounted at /open311/v2 by web/app.ts.
 *
 *   GET  services.json          the catalogue (public, as Open311 has it: no personal data)
 *   GET  requests.json          orders in the key's subtree, filtered, newest 1000
 *   POST requests.json          a new request: the same pipeline as a chat 点单 (place-request.ts)
 *   GET  requests/{id}.json     one order by its code
 *
 * The key comes as `api_key` (query or body, Open311's way) or an `X-Api-Key` header. Errors are
 * Open311's `[{ code, description }]` with the HTTP status as code: 400 malformed, 401 no or bad
 * key, 403 outside the key's subtree, 404 unknown request or service, 413 too large, 429 the
 * resident's pace. Nothing here logs a parameter: the query string holds the key, the body the
 * resident's phone and address.
 */
import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Services } from '../../core/services.ts'
import { listCategories } from '../../orders/catalogue.ts'
import { type ApiKey, liveKey } from './api-keys.ts'
import { placeRequest } from './place-request.ts'
import { type Parsed, parseListQuery, parsePostRequest } from './request-input.ts'
import { findRequests } from './requests.ts'
import { HANDLED_AT, open311Texts } from './texts.ts'

/** A request's body: a description of 500 characters and a few short fields fit many times over. */
const MAX_BODY_KB = 16

function fail(c: Context, status: ContentfulStatusCode, description: string): Response {
  return c.json([{ code: status, description }], status)
}

/**
 * The body as fields: JSON object, form-encoded or multipart (files refused). A refused form still
 * gives its `api_key`, so a caller without a valid key hears 401 before anything about its body.
 */
async function readBody(
  c: Context,
): Promise<Parsed<Record<string, unknown>> & { apiKey?: unknown }> {
  const type = c.req.header('content-type') ?? ''
  if (type.includes('application/json')) {
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return { ok: false, error: open311Texts.badJson }
    }
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body)
    return isObject
      ? { ok: true, value: body as Record<string, unknown> }
      : { ok: false, error: open311Texts.badJson }
  }
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    let form: Record<string, unknown>
    try {
      form = await c.req.parseBody()
    } catch {
      return { ok: false, error: open311Texts.badContentType }
    }
    const file = Object.entries(form).find(([, v]) => typeof v !== 'string')
    return file
      ? { ok: false, error: open311Texts.fileNotAccepted(file[0]), apiKey: form.api_key }
      : { ok: true, value: form }
  }
  return { ok: false, error: open311Texts.badContentType }
}

type Authenticated = { ok: true; key: ApiKey } | { ok: false; response: Response }

async function authenticate(
  services: Services,
  c: Context,
  fromBody?: unknown,
): Promise<Authenticated> {
  const given =
    c.req.header('x-api-key') ??
    c.req.query('api_key') ??
    (typeof fromBody === 'string' ? fromBody : undefined)
  if (!given) return { ok: false, response: fail(c, 401, open311Texts.noKey) }
  const key = await liveKey(services.db, given.trim())
  return key ? { ok: true, key } : { ok: false, response: fail(c, 401, open311Texts.badKey) }
}

export function open311Routes(services: Services): Hono {
  const app = new Hono()
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_KB * 1024,
      onError: (c) => fail(c, 413, open311Texts.tooLarge(MAX_BODY_KB)),
    }),
  )
  app.onError((err, c) => {
    services.log.error({ err, method: c.req.method, path: c.req.path }, 'open311 request failed')
    return fail(c, 500, open311Texts.internal)
  })
  app.notFound((c) => fail(c, 404, open311Texts.notFound))

  app.get('/services.json', async (c) => {
    const categories = await listCategories(services)
    return c.json(
      categories.map((k) => ({
        service_code: k.code,
        service_name: k.name,
        description: open311Texts.serviceDescription(
          k.platform,
          HANDLED_AT[k.tier] ?? '',
          k.acceptSlaMinutes,
        ),
        metadata: false,
        type: 'realtime',
        keywords: k.keywords.join(','),
        group: k.platform,
      })),
    )
  })

  /** A 404 for a filter naming a service the catalogue does not have. */
  async function unknownService(codes: readonly string[] | undefined) {
    if (!codes) return undefined
    const known = new Set((await listCategories(services)).map((k) => k.code))
    return codes.find((code) => !known.has(code))
  }

  app.get('/requests.json', async (c) => {
    const auth = await authenticate(services, c)
    if (!auth.ok) return auth.response
    const query = parseListQuery(c.req.query(), services.timezone, services.now())
    if (!query.ok) return fail(c, 400, query.error)
    const unknown = await unknownService(query.value.serviceCodes)
    if (unknown) return fail(c, 404, open311Texts.unknownService(unknown))
    return c.json(await findRequests(services, auth.key, query.value))
  })

  app.post('/requests.json', async (c) => {
    const body = await readBody(c)
    const auth = await authenticate(services, c, body.ok ? body.value.api_key : body.apiKey)
    if (!auth.ok) return auth.response
    if (!body.ok) return fail(c, 400, body.error)
    const input = parsePostRequest(body.value)
    if (!input.ok) return fail(c, 400, input.error)
    const outcome = await placeRequest(services, auth.key, input.value)
    if (outcome.kind === 'refused') return fail(c, outcome.status, outcome.error)
    const answer = [
      {
        service_request_id: outcome.code,
        service_notice: outcome.notice,
        account_id: input.value.account_id ?? null,
      },
    ]
    return c.json(answer, outcome.kind === 'placed' ? 201 : 200)
  })

  app.get('/requests/:file', async (c) => {
    const auth = await authenticate(services, c)
    if (!auth.ok) return auth.response
    const file = c.req.param('file')
    const id = file.endsWith('.json') ? file.slice(0, -'.json'.length) : ''
    const query = parseListQuery({ service_request_id: id }, services.timezone, services.now())
    if (!query.ok || query.value.codes?.length !== 1) {
      return fail(c, 404, open311Texts.unknownRequest(id.slice(0, 20)))
    }
    const found = await findRequests(services, auth.key, query.value)
    // Open311 answers one request as a list of one.
    return found.length === 0
      ? fail(c, 404, open311Texts.unknownRequest(query.value.codes[0]!))
      : c.json(found)
  })

  return app
}
