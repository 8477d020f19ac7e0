import { noticeCode } from '../../broadcasts/notice-code.ts'
import { findNotice, missedGroups, noticeProgress } from '../../broadcasts/notice-store.ts'
import { readReceipt } from '../../broadcasts/receipt.ts'
import type { CliCommand } from '../command.ts'
import { cliActor, noticeIdArg, withNoticeServices } from './notice-app.ts'

export const noticeStatus: CliCommand = {
  name: 'notice status',
  usage: 'notice status <通知号> [--json]',
  summary: '查看通知各层级的送达、待发、失败、跳过数，以及未送达的群和原因',
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const id = noticeIdArg(ctx, 'status')
    return withNoticeServices(ctx, { queue: false }, async (services) => {
      if (ctx.flags.json) {
        const notice = await findNotice(services.db, id)
        if (!notice) {
          ctx.out(JSON.stringify({ code: noticeCode(id), found: false }))
          return 1
        }
        const [progress, missed] = await Promise.all([
          noticeProgress(services.db, id),
          missedGroups(services.db, id),
        ])
        ctx.out(
          JSON.stringify({
            code: noticeCode(id),
            status: notice.status,
            scope: notice.scopePath,
            ...progress,
            missed: missed.missed,
          }),
        )
        return 0
      }
      const result = await readReceipt(services, { id, actor: cliActor() })
      for (const line of result.lines) ctx.out(line)
      return result.ok ? 0 : 1
    })
  },
}
