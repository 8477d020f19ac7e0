/**
 * Pictures, files and article cards a propagandist sent in a staff room, held for the `通知` they
 * type next there (within two minutes): the notice carries them (handlers/notices.ts). In Redis with
 * an expiry, like a resident's recent order (recent-orders.ts); the bytes are already in the
 * content store, only their description is held.
 */
import type { NoticeAttachment } from '../broadcasts/notice-attachments.ts'
import type { Services } from '../core/services.ts'
import type { AskedWhere } from './pending-answers.ts'

/** How long an attachment waits for its 通知, in seconds. */
const HOLD_S = 2 * 60

/** Held at most per talker and room; the oldest drop out (a notice carries no more anyway). */
const HOLD_MAX = 9

const keyOf = (services: Services, where: AskedWhere) =>
  `${services.queuePrefix}:held-attachments:${JSON.stringify([where.account, where.conversationId, where.talkerId])}`

/** Holds one more; returns how many are held now. */
export async function holdAttachment(
  services: Services,
  where: AskedWhere,
  attachment: NoticeAttachment,
): Promise<number> {
  const key = keyOf(services, where)
  const results = await services.connection
    .multi()
    .rpush(key, JSON.stringify(attachment))
    .ltrim(key, -HOLD_MAX, -1)
    .expire(key, HOLD_S)
    .llen(key)
    .exec()
  const held = results?.[3]?.[1]
  return typeof held === 'number' ? held : 1
}

/** What is held here for the talker, oldest first; read back from Redis, so checked in shape. */
export async function heldAttachments(
  services: Services,
  where: AskedWhere,
): Promise<NoticeAttachment[]> {
  const raw = await services.connection.lrange(keyOf(services, where), 0, -1)
  return raw.flatMap((json) => {
    try {
      const a = JSON.parse(json) as NoticeAttachment
      const fine =
        a.kind === 'link'
          ? typeof a.url === 'string' && typeof a.title === 'string'
          : (a.kind === 'image' || a.kind === 'file') &&
            typeof a.sha256 === 'string' &&
            typeof a.name === 'string' &&
            typeof a.bytes === 'number'
      return fine ? [a] : []
    } catch {
      return []
    }
  })
}

/** The held attachments went into a notice: not offered to the next one. */
export async function releaseAttachments(services: Services, where: AskedWhere): Promise<void> {
  await services.connection.del(keyOf(services, where))
}
