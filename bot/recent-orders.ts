/**
 * The order a talker placed in a room in the last two minutes: a picture they send there next is
 * attached to it (handlers/attachments.ts). In Redis with an expiry, so every picture in every
 * group costs one GET before anything else is done, and the window closes by itself.
 */
import type { Services } from '../core/services.ts'
import type { AskedWhere } from './pending-answers.ts'

/** How long after placing an order a picture still belongs to it, in seconds. */
const ATTACH_WINDOW_S = 2 * 60

const keyOf = (services: Services, where: AskedWhere) =>
  `${services.queuePrefix}:recent-order:${JSON.stringify([where.account, where.conversationId, where.talkerId])}`

export async function rememberOrder(
  services: Services,
  where: AskedWhere,
  code: string,
): Promise<void> {
  await services.connection.set(keyOf(services, where), code, 'EX', ATTACH_WINDOW_S)
}

/** The code of the order placed here by this talker within the window, if any. */
export async function recentOrder(
  services: Services,
  where: AskedWhere,
): Promise<string | undefined> {
  const code = await services.connection.get(keyOf(services, where))
  // Written by rememberOrder only, but read back from Redis: a code or nothing.
  return code !== null && /^[A-Z]\d{4,6}$/.test(code) ? code : undefined
}
