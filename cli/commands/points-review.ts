import {
  type DecideResult,
  type Decision,
  decidePending,
  listPending,
} from '../../orders/points.ts'
import { cliTexts } from '../../orders/templates.ts'
import { shortTime } from '../../orders/views.ts'
import { type CliCommand, type CommandContext, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'
import { cliActor } from './notice-app.ts'

/** `quanqun points review`: the earnings over a volunteer's daily cap, waiting for a decision. */
export const pointsReview: CliCommand = {
  name: 'points review',
  usage: 'points review',
  summary: '列出超出每日上限、待站点审核的爱心积分（未审核前不计入余额）',
  async run({ config, out }) {
    return withDatabase(config, async ({ db }) => {
      const pending = await listPending(db)
      if (pending.length === 0) {
        out(cliTexts.reviewNone)
        return 0
      }
      for (const p of pending) {
        out(cliTexts.reviewLine({ ...p, at: shortTime(p.createdAt, config.timezone) }))
      }
      out(
        cliTexts.reviewTotal(
          pending.length,
          pending.reduce((a, p) => a + p.amount, 0),
        ),
      )
      return 0
    })
  },
}

/** `#12` or `12`: a pending posting's number. */
function pendingIdArg(ctx: CommandContext, verb: Decision): { id: number; note?: string } {
  const [first, ...rest] = ctx.args
  const m = /^#?(\d{1,9})$/.exec((first ?? '').trim())
  if (!m) throw new UsageError(cliTexts.decideUsage(verb))
  const note = rest.join(' ').trim()
  return { id: Number(m[1]), ...(note ? { note } : {}) }
}

function decideCommand(verb: Decision, summary: string): CliCommand {
  return {
    name: `points ${verb}`,
    usage: `points ${verb} <编号> [说明]`,
    summary,
    async run(ctx) {
      const { id, note } = pendingIdArg(ctx, verb)
      const actorRef = cliActor().ref
      return withDatabase(ctx.config, async ({ db }) => {
        const result: DecideResult = await decidePending(db, {
          id,
          decision: verb,
          actorRef,
          ...(note ? { note } : {}),
        })
        ctx.log.info({ id, decision: verb, actorRef, result: result.kind }, 'points review')
        switch (result.kind) {
          case 'unknown':
            ctx.out(cliTexts.pendingNotFound(id))
            return 1
          case 'already':
            ctx.out(cliTexts.pendingDecided(id, result.status))
            return 1
          case 'approved':
            ctx.out(cliTexts.approved(id, result.name, result.amount, result.balance))
            return 0
          case 'rejected':
            ctx.out(cliTexts.rejected(id, result.name, result.amount))
            return 0
        }
      })
    },
  }
}

export const pointsApprove = decideCommand(
  'approve',
  '批准一笔待审核的爱心积分：入账到志愿者名下（操作人记入审计日志）',
)

export const pointsReject = decideCommand(
  'reject',
  '驳回一笔待审核的爱心积分：不入账（操作人记入审计日志）',
)
