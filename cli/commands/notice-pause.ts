import { pauseNotice, resumeNotice } from '../../broadcasts/pause-notice.ts'
import { pauseTexts } from '../../broadcasts/templates.ts'
import type { CliCommand } from '../command.ts'
import { cliActor, noticeIdArg, withNoticeServices } from './notice-app.ts'

export const noticePause: CliCommand = {
  name: 'notice pause',
  usage: 'notice pause <通知号>',
  summary: '暂停发布中的通知：未发出的群暂不发送，notice resume 后继续（不会重复发送）',
  async run(ctx) {
    const id = noticeIdArg(ctx, 'pause')
    return withNoticeServices(ctx, { queue: false }, async (services) => {
      const result = await pauseNotice(services, { id, actor: cliActor() })
      ctx.out(result.message)
      return result.outcome === 'paused' ? 0 : 1
    })
  },
}

export const noticeResume: CliCommand = {
  name: 'notice resume',
  usage: 'notice resume <通知号>',
  summary: '继续发送已暂停的通知：只发送暂停时未发出的群，每个群一次',
  async run(ctx) {
    const id = noticeIdArg(ctx, 'resume')
    return withNoticeServices(ctx, { queue: true }, async (services, queueUp) => {
      const result = await resumeNotice(services, { id, actor: cliActor() }, { queue: queueUp })
      ctx.out(result.message)
      if (result.outcome === 'resumed' && !result.queued) ctx.out(pauseTexts.resumeQueued)
      return result.outcome === 'resumed' ? 0 : 1
    })
  },
}
