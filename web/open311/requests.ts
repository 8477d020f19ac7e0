/**
 * requests.json and requests/{id}.json: orders as Open311 requests, read within the key's
 * subtree. An integration sees every order placed there, through the API or in chat (a city
 * platform follows the whole service, not only what it sent), masked as requestView says; a
 * scoped key never learns that an order outside its subtree exists.
 */
import type { Services } from '../../core/services.ts'
import { anyInt } from '../../db/any-of.ts'
import { open311Requests } from '../../db/schema/open311.ts'
import { findOrders } from '../../orders/order-queries.ts'
import type { ApiKey } from './api-keys.ts'
import type { ListQuery } from './request-input.ts'
import { type RequestExtras, requestView } from './request-view.ts'

/** Open311's cap on one answer: the newest this many. */
const MAX_REQUESTS = 1000

async function extrasOf(services: Services, ids: number[]): Promise<Map<number, RequestExtras>> {
  if (ids.length === 0) return new Map()
  const rows = await services.db
    .select()
    .from(open311Requests)
    .where(anyInt(open311Requests.orderId, ids))
  return new Map(rows.map((r) => [r.orderId, r]))
}

/** The requests matching `query` in the key's subtree, newest first, at most 1000. */
export async function findRequests(services: Services, key: ApiKey, query: ListQuery) {
  const rows = await findOrders(services.db, {
    limit: MAX_REQUESTS,
    ...(key.unitPath !== null ? { placedUnder: key.unitPath } : {}),
    ...(query.codes ? { codes: query.codes } : {}),
    ...(query.serviceCodes ? { categoryCodes: query.serviceCodes } : {}),
    ...(query.statuses ? { statuses: query.statuses } : {}),
    ...(query.from ? { from: query.from } : {}),
    ...(query.to ? { to: query.to } : {}),
  })
  const extras = await extrasOf(
    services,
    rows.map((r) => r.id),
  )
  return rows.map((r) => requestView(r, extras.get(r.id)))
}
