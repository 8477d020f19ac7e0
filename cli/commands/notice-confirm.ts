import { cancelNotice, confirmNotice } from '../../broadcasts/confirm-notice.ts'
import { cliTexts } from '../../broadcasts/templates.ts'
import type { CliCommand } from '../command.ts'
import { cliActor, noticeIdArg, withNoticeServices } from './notice-app.ts'

export const noticeConfirm: CliCommand = {
  name: 'notice confirm',
  usage: 'notice confirm <通知号>',
  summary: '确认发布一条待确认的通知（重复确认不会重复发送）',
  async run(ctx) {
    const id = noticeIdArg(ctx, 'confirm')
    return withNoticeServices(ctx, { queue: true }, async (services, queueUp) => {
      const result = await confirmNotice(
        services,
        { id, actor: cliActor() },
        { queueFanout: queueUp },
      )
      ctx.out(result.message)
      if (result.outcome === 'confirmed' && !result.queued) ctx.out(cliTexts.queued)
      return result.outcome === 'confirmed' || result.outcome === 'alreadyConfirmed' ? 0 : 1
    })
  },
}

export const noticeCancel: CliCommand = {
  name: 'notice cancel',
  usage: 'notice cancel <通知号>',
  summary: '作废待确认的通知，或停止发布中的通知（已送达的无法撤回）',
  async run(ctx) {
    const id = noticeIdArg(ctx, 'cancel')
    return withNoticeServices(ctx, { queue: false }, async (services) => {
      const result = await cancelNotice(services, { id, actor: cliActor() })
      ctx.out(result.message)
      return result.outcome === 'cancelledDraft' || result.outcome === 'cancelledSending' ? 0 : 1
    })
  },
}
