/**
 * A POSTed Open311 request becomes an order through the chat's own pipeline (orders/intake.ts
 * `placeOrder`: classified, routed, batched, dispatched, SLA armed, the workers told).
 *
 * Where it belongs: the `unit` field (a unit's path, quanqun's extension of Open311), else the
 * key's own unit; an unscoped key must name one. That unit plays the part of the resident's group's
 * unit: routing climbs from it to the category's tier. There is no group: nobody in WeChat is told
 * on the resident's behalf; the integration follows the request with requests/{id}.json.
 *
 * Who the resident is: the integration's `account_id`, else a digest of the phone or e-mail, else
 * nobody in particular (each request its own resident). The same person's repeats and pace are
 * then judged as in chat, within one integration.
 *
 * The contact and the address travel with the order (orderText, residentName), so the assignee
 * and the handling station read them as they read a chat order's, everyone else masked, and the
 * privacy purge anonymises them with the order.
 */
import { createHash, randomUUID } from 'node:crypto'
import { recordAudit } from '../../audit/record-audit.ts'
import { maskPersonalData } from '../../core/personal-data.ts'
import type { Services } from '../../core/services.ts'
import { open311Requests } from '../../db/schema/open311.ts'
import { isWithin } from '../../network/permissions.ts'
import { findUnitByPath } from '../../network/queries.ts'
import { listCategories } from '../../orders/catalogue.ts'
import { placeOrder } from '../../orders/intake.ts'
import { unitLabel } from '../../orders/templates.ts'
import type { ApiKey } from './api-keys.ts'
import type { PostRequest } from './request-input.ts'
import { open311Texts } from './texts.ts'

export type PlaceOutcome =
  | { kind: 'placed'; code: string; notice: string }
  | { kind: 'duplicate'; code: string; notice: string }
  | { kind: 'refused'; status: 400 | 403 | 404 | 429; error: string }

/** The actor an integration is in the audit log. */
function apiActor(key: ApiKey): string {
  return `api:${key.name}`
}

/** The resident as the order knows them, never their number in clear. */
function residentRefOf(key: ApiKey, input: PostRequest): string {
  const who =
    input.account_id !== undefined
      ? `account:${input.account_id}`
      : (input.phone?.replace(/[^\d+]/g, '') ?? input.email?.toLowerCase())
  const id = who ? createHash('sha256').update(who).digest('hex').slice(0, 24) : randomUUID()
  return `open311:${key.id}:${id}`
}

/**
 * The need with the address (and an e-mail, the rarer contact) after it. The name and phone go in
 * the resident's name instead: the 【派单】 line "居民：林秀英 138…" tells the worker whom to call,
 * readers without the need see "林*", the privacy purge clears it, and the need's words stay
 * apart from the contact when a repeat of the same resident is judged (intake-rules.ts).
 */
function orderText(input: PostRequest): string {
  const after = [
    input.address_string && open311Texts.address(input.address_string),
    input.email && open311Texts.email(input.email),
  ].filter((l): l is string => Boolean(l))
  return after.length === 0 ? input.description : `${input.description}（${after.join('；')}）`
}

function residentName(input: PostRequest): string {
  const name = [input.last_name, input.first_name].filter(Boolean).join('') || open311Texts.citizen
  return input.phone ? `${name} ${input.phone}` : name
}

// About 100 m: where the matter is, not which flat the caller lives in.
const round = (n: number | undefined) => (n === undefined ? null : Math.round(n * 1000) / 1000)

export async function placeRequest(
  services: Services,
  key: ApiKey,
  input: PostRequest,
): Promise<PlaceOutcome> {
  const categories = await listCategories(services)
  const category =
    input.service_code === undefined
      ? undefined
      : categories.find((c) => c.code === input.service_code)
  if (input.service_code !== undefined && !category) {
    return { kind: 'refused', status: 404, error: open311Texts.unknownService(input.service_code) }
  }
  const path = input.unit ?? key.unitPath
  if (path === null) return { kind: 'refused', status: 400, error: open311Texts.missingUnit }
  const unit = await findUnitByPath(services.db, path)
  if (!unit) return { kind: 'refused', status: 400, error: open311Texts.unknownUnit(path) }
  if (key.unitPath !== null && !isWithin(unit.path, key.unitPath)) {
    await recordAudit(services.db, {
      actorRef: apiActor(key),
      action: 'open311.create',
      unitId: unit.id,
      allowed: false,
      detail: { reason: 'outside the key scope', scope: key.unitPath },
    })
    return { kind: 'refused', status: 403, error: open311Texts.outOfScope(key.unitPath) }
  }
  const result = await placeOrder(
    services,
    {
      residentRef: residentRefOf(key, input),
      residentName: residentName(input),
      groupId: null,
      unitId: unit.id,
      text: orderText(input),
      verb: 'open311',
    },
    { ...(category ? { category } : {}), about: input.description },
  )
  if (result.kind === 'limited') {
    return {
      kind: 'refused',
      status: 429,
      error: open311Texts.limited(result.max, result.minutes),
    }
  }
  if (result.kind === 'duplicate') {
    return { kind: 'duplicate', code: result.code, notice: open311Texts.duplicate(result.code) }
  }
  // Only a resident in a group is asked back (intake.ts): a request has no group to ask in.
  if (result.kind !== 'placed') throw new Error(`open311 request not placed: ${result.kind}`)
  const { order } = result
  try {
    await services.db.insert(open311Requests).values({
      orderId: order.id,
      apiKeyId: key.id,
      address: input.address_string === undefined ? null : maskPersonalData(input.address_string),
      lat: round(input.lat),
      long: round(input.long),
    })
    await recordAudit(services.db, {
      actorRef: apiActor(key),
      action: 'open311.create',
      unitId: unit.id,
      allowed: true,
      detail: { order: order.code, category: result.category.code },
    })
  } catch (err) {
    // The order is placed and its workers told: the integration must get its id, or its retry
    // would be a second order for the same need.
    services.log.error({ err, order: order.code }, 'open311 request placed, its record failed')
  }
  return {
    kind: 'placed',
    code: order.code,
    notice: open311Texts.placed(unitLabel(result.handlingUnit)),
  }
}
