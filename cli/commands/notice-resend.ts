import { resendFailed } from '../../broadcasts/resend-notice.ts'
import { cliTexts } from '../../broadcasts/templates.ts'
import type { CliCommand } from '../command.ts'
import { cliActor, noticeIdArg, withNoticeServices } from './notice-app.ts'

export const noticeResend: CliCommand = {
  name: 'notice resend',
  usage: 'notice resend <通知号>',
  summary: '把通知发送失败的群重新排队发送一次（每个群最多重发一次）',
  async run(ctx) {
    const id = noticeIdArg(ctx, 'resend')
    return withNoticeServices(ctx, { queue: true }, async (services, queueUp) => {
      const result = await resendFailed(services, { id, actor: cliActor() }, { queue: queueUp })
      ctx.out(result.message)
      if (result.outcome === 'resent' && !result.queued) ctx.out(cliTexts.resendQueued)
      return result.outcome === 'resent' ? 0 : 1
    })
  },
}
