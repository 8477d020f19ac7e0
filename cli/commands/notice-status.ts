import { noticeCode } from '../../broadcasts/notice-code.ts'
import { findNotice, missedGroups, noticeProgress } from '../../broadcasts/notice-store.ts'
import { readReceipt } from '../../broadcasts/receipt.ts'
import { missedText } from '../../broadcasts/templates.ts'
import { TIER_LABELS } from '../../network/templates.ts'
import type { CliCommand } from '../command.ts'
import { writeTable } from '../table-file.ts'
import { cliActor, noticeIdArg, withNoticeServices } from './notice-app.ts'

export const noticeStatus: CliCommand = {
  name: 'notice status',
  usage: 'notice status <通知号> [--json] [--out 未送达.xlsx|.csv]',
  summary: '查看通知各层级的送达、待发、失败、跳过数，以及未送达的群和原因',
  options: { json: { type: 'boolean' }, out: { type: 'string' } },
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
      if (typeof ctx.flags.out === 'string') {
        // Every group not reached, not only the first few the receipt lists.
        const { missed } = await missedGroups(services.db, id)
        await writeTable(ctx.flags.out, {
          sheet: `${noticeCode(id)} 未送达`,
          headers: ['群', '层级', '结果', '原因'],
          rows: missed.map((m) => {
            const { what, reason } = missedText(m)
            return [m.topic, TIER_LABELS[m.tier], what, reason]
          }),
        })
      }
      const result = await readReceipt(services, { id, actor: cliActor() })
      for (const line of result.lines) ctx.out(line)
      return result.ok ? 0 : 1
    })
  },
}
