import { verifyTexts } from '../../broadcasts/templates.ts'
import { verifyNotice } from '../../broadcasts/verify-notice.ts'
import { quotedText } from '../commands/mentions.ts'
import type { ChatContext, SomeHandlers } from '../context.ts'

/**
 * 核验 <text>, or 核验 in reply to a quoted message: anyone in a bound group may ask whether a
 * forward is an official notice sent to this group or above it.
 */
export const verifyHandlers = {
  verify: async (ctx: ChatContext, command) => {
    const claim = command.text ?? quotedText(ctx.incoming.text)
    // The pipeline runs this intent only in a bound group.
    if (!claim || !ctx.group) return verifyTexts.empty
    const result = await verifyNotice(ctx.services, { unitId: ctx.group.unitId, claim })
    if (!result.found) return verifyTexts.notFound
    return result.kind === 'exact'
      ? verifyTexts.exact(result.code, result.issuer, result.day)
      : verifyTexts.near(result.code, result.issuer, result.day, result.text)
  },
} satisfies SomeHandlers
