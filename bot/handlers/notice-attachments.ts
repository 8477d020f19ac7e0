/**
 * A picture, file or shared article a propagandist sends in a staff room: kept (the content store)
 * and held for the `通知` they type there next (bot/held-attachments.ts). Anyone else's, or one sent
 * anywhere else, is chat: nothing is fetched.
 */
import {
  linkAttachment,
  type Stored,
  storeNoticeFile,
  tooLarge,
} from '../../broadcasts/notice-attachments.ts'
import { attachmentTexts } from '../../broadcasts/templates.ts'
import { authorize } from '../authorize.ts'
import { requiredRole } from '../commands/grammar.ts'
import type { ChatContext } from '../context.ts'
import { holdAttachment } from '../held-attachments.ts'

export async function holdForNotice(ctx: ChatContext): Promise<string | undefined> {
  const { incoming, services, group, member } = ctx
  if (!incoming.roomId || !group?.active || group.kind !== 'staff' || !member) return undefined
  if (!authorize(requiredRole.notice, member.grants, group.unitPath, { orBelow: true }).allowed) {
    return undefined
  }
  let stored: Stored
  if (incoming.link) {
    const card = await incoming.link()
    stored = linkAttachment(card.url, card.title, card.description)
  } else if (incoming.file) {
    const file = await incoming.file()
    // A size the puppet already knows is refused before the bytes are fetched.
    const refusal = tooLarge(services, file.size)
    if (refusal) return refusal
    stored = await storeNoticeFile(services, { name: file.name, data: await file.toBuffer() })
  } else {
    return undefined
  }
  if (!stored.ok) return stored.message
  const held = await holdAttachment(
    services,
    { account: ctx.account.name, conversationId: incoming.roomId, talkerId: incoming.talkerId },
    stored.attachment,
  )
  services.log.info(
    { room: incoming.roomId, kind: stored.attachment.kind },
    'notice attachment held',
  )
  return attachmentTexts.held(held)
}
