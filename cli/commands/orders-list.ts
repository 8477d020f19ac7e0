import { findUnitByPath } from '../../network/queries.ts'
import { listOrders } from '../../orders/order-queries.ts'
import { cliTexts } from '../../orders/templates.ts'
import { shortTime } from '../../orders/views.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'

export const ordersList: CliCommand = {
  name: 'orders list',
  usage: 'orders list [--overdue] [--unit <路径>] [--all]',
  summary: '列出未办结的工单（--overdue 只看超时，--unit 只看某单位及下级，--all 含已办结）',
  options: {
    overdue: { type: 'boolean' },
    all: { type: 'boolean' },
    unit: { type: 'string' },
  },
  async run({ args, flags, config, out }) {
    // `--overdue` and `--all` are switches; a word after them is a mistake, not a value.
    if (args.length > 0 || typeof flags.overdue === 'string' || typeof flags.all === 'string') {
      throw new UsageError(cliTexts.listUsage)
    }
    if (flags.unit === true) throw new UsageError(cliTexts.listUsage)
    return withDatabase(config, async ({ db }) => {
      let unitPath: string | undefined
      if (typeof flags.unit === 'string') {
        const unit = await findUnitByPath(db, flags.unit)
        if (!unit) {
          out(cliTexts.unknownUnit(flags.unit))
          return 1
        }
        unitPath = unit.path
      }
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
      for (const r of rows) {
        out(cliTexts.ordersLine({ ...r, created: shortTime(r.createdAt, config.timezone) }))
      }
      out(cliTexts.ordersTotal(rows.length, rows.filter((r) => r.overdue).length))
      return 0
    })
  },
}
