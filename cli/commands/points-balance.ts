import { findMembersByNameOrId } from '../../network/roles.ts'
import { memberBalance, memberStatement } from '../../orders/points.ts'
import { cliTexts } from '../../orders/templates.ts'
import { shortTime } from '../../orders/views.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { writeTable } from '../table-file.ts'
import { withDatabase } from '../with-database.ts'

export const pointsBalance: CliCommand = {
  name: 'points balance',
  usage: 'points balance <微信号或姓名> [--out 积分.xlsx|.csv]',
  summary: '查询志愿者的爱心积分余额和最近的记账（余额即全部记账之和）',
  options: { out: { type: 'string' } },
  async run({ args, flags, config, out }) {
    const who = args.join(' ').trim()
    if (!who) throw new UsageError(cliTexts.pointsUsage)
    return withDatabase(config, async ({ db }) => {
      const found = await findMembersByNameOrId(db, who)
      if (found.length === 0) {
        out(cliTexts.memberNotFound(who))
        return 1
      }
      if (typeof flags.out === 'string') {
        const rows: (string | number)[][] = []
        for (const m of found) {
          const balance = await memberBalance(db, m.id)
          for (const line of await memberStatement(db, m.id)) {
            rows.push([
              m.name,
              m.wechatId,
              shortTime(line.at, config.timezone),
              line.amount,
              line.reason,
              line.txId,
              balance,
            ])
          }
        }
        await writeTable(flags.out, {
          sheet: '爱心积分',
          headers: ['姓名', '微信号', '时间', '分数', '事由', '交易号', '当前余额'],
          rows,
        })
      }
      // Namesakes are all shown, each with their 微信号: the reader picks the right one.
      for (const m of found) {
        out(cliTexts.balance(m.name, m.wechatId, await memberBalance(db, m.id)))
        for (const line of await memberStatement(db, m.id)) {
          out(
            cliTexts.statementLine(
              shortTime(line.at, config.timezone),
              line.amount,
              line.reason,
              line.txId,
            ),
          )
        }
      }
      return 0
    })
  },
}
