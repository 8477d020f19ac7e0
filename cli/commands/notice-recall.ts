import { setTimeout as sleep } from 'node:timers/promises'
import { recallNotice, recallPending, recallReport } from '../../broadcasts/recall-notice.ts'
import { cliTexts } from '../../broadcasts/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { cliActor, noticeIdArg, withNoticeServices } from './notice-app.ts'

/** How long the command waits for the bots' take-backs by default (s): WeChat's window is 120 s. */
const DEFAULT_WAIT_S = 30

/**
 * `quanqun notice recall N12`: 撤回 from the command line. The take-backs are done by the process
 * holding each room's account, so Redis must answer; the command waits for them (--wait seconds)
 * and prints the counts per tier.
 */
export const noticeRecall: CliCommand = {
  name: 'notice recall',
  usage: 'notice recall <通知号> [--wait 秒]',
  summary: '撤回通知：停止发送，并撤回时限内已发出的消息（按层级报告已撤回、超时、失败的群数）',
  options: { wait: { type: 'string' } },
  async run(ctx) {
    const id = noticeIdArg(ctx, 'recall')
    const waitFlag = ctx.flags.wait
    const waitS = waitFlag === undefined ? DEFAULT_WAIT_S : Number(waitFlag)
    if (!Number.isInteger(waitS) || waitS < 0 || waitS > 600) {
      throw new UsageError(`--wait 应为 0-600 的整数秒；收到「${String(waitFlag)}」`)
    }
    return withNoticeServices(ctx, { queue: true }, async (services, queueUp) => {
      if (!queueUp) {
        ctx.out(cliTexts.recallNoQueue)
        return 1
      }
      const result = await recallNotice(services, { id, actor: cliActor() })
      for (const line of result.message.split('\n')) ctx.out(line)
      if (result.outcome !== 'recalling') return result.outcome === 'recalled' ? 0 : 1
      const end = Date.now() + waitS * 1000
      while ((await recallPending(services, id)) && Date.now() < end) await sleep(500)
      if (await recallPending(services, id)) {
        ctx.out(cliTexts.recallWaiting(waitS))
        return 0
      }
      for (const line of (await recallReport(services, id)).split('\n')) ctx.out(line)
      return 0
    })
  },
}
