import { inArray } from 'drizzle-orm'
import { openApp } from '../../app/app.ts'
import { PUPPET_HINTS, type PuppetErrorKind } from '../../bot/puppet-errors.ts'
import { noticeCode } from '../../broadcasts/notice-code.ts'
import { noticeProgress } from '../../broadcasts/notice-store.ts'
import { notices } from '../../db/schema/broadcasts.ts'
import { listBotAccounts } from '../../network/bot-accounts.ts'
import { ACCOUNT_STATE_NAMES } from '../../network/templates.ts'
import { listOrders } from '../../orders/order-queries.ts'
import type { CliCommand } from '../command.ts'

export const statusCli: CliCommand = {
  name: 'status',
  usage: 'status',
  summary: '查看机器人账号、发送队列、进行中的通知和超时的服务单',
  async run({ config, log, out }) {
    const app = await openApp(config, log)
    try {
      const { db, messenger } = app.services
      out('机器人账号：')
      for (const account of await listBotAccounts(db)) {
        const counts = await messenger
          .queueOf(account.name)
          .getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed')
        const queued = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0)
        const until =
          account.state === 'cooling' && account.coolingUntil
            ? `（至 ${account.coolingUntil.toLocaleTimeString('zh-CN', { timeZone: config.timezone })}）`
            : ''
        const why = account.lastError
          ? `（${PUPPET_HINTS[account.lastError as PuppetErrorKind] ?? account.lastError}）`
          : ''
        out(
          `  ${account.name}  ${ACCOUNT_STATE_NAMES[account.state]}${until}${why}  待发 ${queued}，发送中 ${counts.active ?? 0}，失败 ${counts.failed ?? 0}`,
        )
      }
      const inFlight = await db
        .select({ id: notices.id, text: notices.text, status: notices.status })
        .from(notices)
        // A paused notice is still being sent, held: shown with its mark (继续 resumes it).
        .where(inArray(notices.status, ['confirmed', 'paused']))
        .orderBy(notices.id)
      out(`发布中的通知：${inFlight.length}`)
      for (const n of inFlight) {
        const { totals } = await noticeProgress(db, n.id)
        out(
          `  ${noticeCode(n.id)}${n.status === 'paused' ? '（已暂停）' : ''} 送达 ${totals.sent}/${totals.total}，待发 ${totals.pending}，失败 ${totals.failed}：${n.text.slice(0, 20)}`,
        )
      }
      const overdue = await listOrders(db, { overdue: true, now: new Date(), limit: 10 })
      out(
        `超时的服务单：${overdue.length}${overdue.length === 10 ? '+（quanqun orders list --overdue 查看全部）' : ''}`,
      )
      for (const o of overdue) out(`  ${o.code} ${o.category} ${o.handlingPath}`)
    } finally {
      await app.close()
    }
    return 0
  },
}
