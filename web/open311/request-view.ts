/**
 * An order as an Open311 service request, pure. An integration is a reader who does not need the
 * resident (like a neighbour in the group, orders/views.ts `readView` 'masked'): phone, ID, door
 * numbers and e-mail addresses in the text come masked, the resident's name and WeChat id never.
 */
import { maskPersonalData } from '../../core/personal-data.ts'
import type { findOrders } from '../../orders/order-queries.ts'
import { statusName, unitLabel } from '../../orders/templates.ts'
import { open311Status } from './request-input.ts'

export type FoundOrder = Awaited<ReturnType<typeof findOrders>>[number]

/** What open311_requests adds to an order that came through the API. */
export interface RequestExtras {
  address: string | null
  lat: number | null
  long: number | null
}

export function requestView(order: FoundOrder, extras: RequestExtras | undefined) {
  const status = open311Status(order.status)
  return {
    service_request_id: order.code,
    status,
    status_notes: statusName[order.status],
    service_name: order.categoryName,
    service_code: order.categoryCode,
    description: maskPersonalData(order.text),
    agency_responsible: unitLabel(order.handling),
    service_notice: null,
    requested_datetime: order.createdAt.toISOString(),
    updated_datetime: order.updatedAt.toISOString(),
    // The running step's due time: when the order should be taken, or done.
    expected_datetime: status === 'open' && order.dueAt ? order.dueAt.toISOString() : null,
    address: extras?.address ?? null,
    address_id: null,
    zipcode: null,
    lat: extras?.lat ?? null,
    long: extras?.long ?? null,
    media_url: null,
  }
}
