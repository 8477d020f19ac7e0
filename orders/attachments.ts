/**
 * A picture or file a resident sends right after placing an order: stored (attachment-store.ts),
 * linked to the order, audited, and forwarded to whoever works on it (notify.ts). Only the
 * resident's own open order takes it, and only up to MAX_BYTES.
 */
import { recordAudit } from '../audit/record-audit.ts'
import { attachmentPath, safeFileName, storeFile } from '../core/content-store.ts'
import type { Services } from '../core/services.ts'
import { orderAttachments } from '../db/schema/attachments.ts'
import { forwardAttachment } from './notify.ts'
import { findOrderByCode } from './order-store.ts'
import { OPEN_ORDER_STATUSES } from './state-machine.ts'

/** 10 MB: a phone photo is 1–5 MB; a longer video is not what a worker needs on the way. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

export type AttachResult =
  | { kind: 'attached'; code: string }
  | { kind: 'again'; code: string }
  | { kind: 'tooLarge'; maxMb: number }
  | { kind: 'refused' }

export interface AttachInput {
  code: string
  senderRef: string
  name: string
  data: Buffer
}

export async function attachToOrder(services: Services, input: AttachInput): Promise<AttachResult> {
  const { db, dataDir } = services
  if (dataDir === undefined) return { kind: 'refused' }
  if (input.data.length > MAX_ATTACHMENT_BYTES) {
    return { kind: 'tooLarge', maxMb: MAX_ATTACHMENT_BYTES / 1024 / 1024 }
  }
  const order = await findOrderByCode(db, input.code)
  const open = order && (OPEN_ORDER_STATUSES as readonly string[]).includes(order.status)
  if (!order || !open || order.residentRef !== input.senderRef) return { kind: 'refused' }
  const sha256 = await storeFile(dataDir, input.data)
  const name = safeFileName(input.name)
  const [row] = await db
    .insert(orderAttachments)
    .values({
      orderId: order.id,
      sha256,
      name,
      bytes: input.data.length,
      senderRef: input.senderRef,
    })
    .onConflictDoNothing()
    .returning({ id: orderAttachments.id })
  if (!row) return { kind: 'again', code: order.code }
  await recordAudit(db, {
    memberId: null,
    actorRef: input.senderRef,
    action: 'order.attach',
    unitId: order.unitId,
    groupId: order.groupId,
    allowed: true,
    detail: { code: order.code, attachment: row.id, bytes: input.data.length },
  })
  services.log.info({ order: order.code, attachment: row.id }, 'attachment stored')
  await forwardAttachment(services, order, { path: attachmentPath(dataDir, sha256), name }, row.id)
  return { kind: 'attached', code: order.code }
}
