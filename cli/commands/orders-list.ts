import { listOrders } from '../../orders/order-queries.ts'
import { cliTexts, statusName } from '../../orders/templates.ts'
import { shortTime } from '../../orders/views.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { writeTable } from '../table-file.ts'
import { unitFlag } from '../unit-flag.ts'
import { withDatabase } from '../with-database.ts'

export const ordersList: CliCommand = {
  name: 'orders list',
  usage: 'orders list [--overdue] [--unit <路径>] [--all] [--out 工单.xlsx|.csv]',
  summary: '列出未办结的工单（--overdue 只看超时，--unit 只看某单位及下级，--all 含已办结）',
  options: {
    overdue: { type: 'boolean' },
    all: { type: 'boolean' },
    unit: { type: 'string' },
    out: { type: 'string' },
  },
  async run({ args, flags, config, out }) {
    // `--overdue` and `--all` are switches; a word after them is a mistake, not a value.
    if (args.length > 0 || typeof flags.overdue === 'string' || typeof flags.all === 'string') {
      throw new UsageError(cliTexts.listUsage)
    }
    if (flags.unit === true) throw new UsageError(cliTexts.listUsage)
    return withDatabase(config, async ({ db }) => {
      const unit = await unitFlag(db, flags.unit, out)
      if (!unit.ok) return 1
      const { unitPath } = unit
      const rows = await listOrders(db, {
        now: new Date(),
        overdue: flags.overdue === true,
        all: flags.all === true,
        ...(unitPath ? { unitPath } : {}),
      })
      if (rows.length === 0) {
        out(cliTexts.ordersNone)
        return 0
      }
      if (typeof flags.out === 'string') {
        await writeTable(flags.out, {
          sheet: '工单',
          headers: ['单号', '状态', '类别', '承办单位', '承办人', '下单时间', '超时'],
          rows: rows.map((r) => [
            r.code,
            statusName[r.status],
            r.category,
            r.handlingPath,
            r.assignee ?? '',
            shortTime(r.createdAt, config.timezone),
            r.overdue ? '超时' : '',
          ]),
        })
      } else {
        for (const r of rows) {
          out(cliTexts.ordersLine({ ...r, created: shortTime(r.createdAt, config.timezone) }))
        }
      }
      out(cliTexts.ordersTotal(rows.length, rows.filter((r) => r.overdue).length))
      return 0
    })
  },
}
