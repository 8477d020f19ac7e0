import { recordAudit } from '../../audit/record-audit.ts'
import { CONSOLE_ROLES, issueLoginLink } from '../../network/login-links.ts'
import type { Handler } from '../context.ts'
import { botTexts } from '../templates.ts'

/**
 * 登录: a one-time console link for the staff member who typed it, bound to their WeChat id. In
 * a group the link goes to them privately (a link in a group would let anyone there open their
 * session first); residents and members without a staff role hear nothing.
 */
export const loginHandler: Handler<'login'> = async (ctx) => {
  const { services, incoming, member, account } = ctx
  if (!member) return undefined
  if (!member.grants.some((g) => CONSOLE_ROLES.includes(g.role))) {
    await recordAudit(services.db, {
      memberId: member.id,
      actorRef: incoming.talkerId,
      action: 'web.link',
      groupId: ctx.group?.id ?? null,
      allowed: false,
    })
    return undefined
  }
  const consoleUrl = services.staffConsole?.url
  if (!consoleUrl) return botTexts.consoleOff
  const link = await issueLoginLink(services.db, {
    memberId: member.id,
    issuedBy: incoming.talkerId,
    consoleUrl,
    now: services.now(),
  })
  const text = botTexts.loginLink(link.url)
  if (!incoming.roomId) return text
  await services.messenger.toRoom(account.name, incoming.talkerId, { text, kind: 'reply' })
  return botTexts.loginSentPrivately
}
