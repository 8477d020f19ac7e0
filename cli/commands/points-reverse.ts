import { reverseTx } from '../../orders/points.ts'
import { cliTexts, pointsTexts } from '../../orders/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'

export const pointsReverse: CliCommand = {
  name: 'points reverse',
  usage: 'points reverse <交易号> <原因>',
  summary: '冲正一笔爱心积分记账（记一笔相反的账，原账不改；重复执行不会重复记账）',
  async run({ args, config, log, out }) {
    const [txId, ...why] = args
    const reason = why.join(' ').trim()
    // Nobody gains or loses points without a recorded reason.
    if (!txId || !reason) throw new UsageError(cliTexts.reverseUsage)
    return withDatabase(config, async ({ db }) => {
      const result = await reverseTx(db, txId, pointsTexts.reversal(txId, reason))
      log.info({ txId, result, reason }, 'points reversal')
      if (result === 'unknown') {
        out(cliTexts.unknownTx(txId))
        return 1
      }
      out(result === 'reversed' ? cliTexts.reversed(txId) : cliTexts.alreadyReversed(txId))
      return 0
    })
  },
}
