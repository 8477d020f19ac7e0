/**
 * A picture or file a resident sends in the group where they placed an order less than two
 * minutes before: attached to that order (orders/attachments.ts) and forwarded to its worker.
 * Any other picture is chat: silence, and nothing fetched from the puppet.
 */
import { attachToOrder, MAX_ATTACHMENT_BYTES } from '../../orders/attachments.ts'
import type { ChatContext } from '../context.ts'
import { recentOrder } from '../recent-orders.ts'
import { botTexts } from '../templates.ts'

const MAX_MB = MAX_ATTACHMENT_BYTES / 1024 / 1024

export async function attachToRecentOrder(ctx: ChatContext): Promise<string | undefined> {
  const { incoming, services, account } = ctx
  if (!incoming.roomId || !incoming.file) return undefined
  const code = await recentOrder(services, {
    account: account.name,
    conversationId: incoming.roomId,
    talkerId: incoming.talkerId,
  })
  if (!code) return undefined
  const file = await incoming.file()
  // A size the puppet already knows is checked before the bytes are fetched.
  if (file.size > MAX_ATTACHMENT_BYTES) return botTexts.attachmentTooLarge(MAX_MB)
  const result = await attachToOrder(services, {
    code,
    senderRef: incoming.talkerId,
    name: file.name,
    data: await file.toBuffer(),
  })
  switch (result.kind) {
    case 'attached':
      return botTexts.attached(result.code)
    case 'tooLarge':
      return botTexts.attachmentTooLarge(result.maxMb)
    case 'again':
    case 'refused':
      return undefined
  }
}
