import { type App, openApp } from '../../app/app.ts'
import { startSchedulerRole, startWorkerRole } from '../../app/process-roles.ts'
import { onShutdown } from '../../core/shutdown.ts'
import type { Stoppable } from '../../core/stoppable.ts'
import type { CliCommand, CommandContext } from '../command.ts'

/** Runs one role until SIGINT/SIGTERM, then closes it before the connections it uses. */
async function runRole(
  ctx: CommandContext,
  role: string,
  start: (app: App) => Promise<Stoppable>,
): Promise<number> {
  const app = await openApp(ctx.config, ctx.log)
  // A role that cannot start (no account could log in) must not keep the process alive.
  const running = await start(app).catch(async (error: unknown) => {
    await app.close().catch(() => {})
    throw error
  })
  ctx.log.info({ role }, 'role started')
  await onShutdown(ctx.log, async () => {
    await running.close()
    await app.close()
  })
  return 0
}

export const workerCli: CliCommand = {
  name: 'worker',
  service: true,
  usage: 'worker',
  summary: '运行后台任务（通知分发、对账、超时上报）；可多开以扩容',
  run: (ctx) => runRole(ctx, 'worker', (app) => startWorkerRole(app)),
}

export const schedulerCli: CliCommand = {
  name: 'scheduler',
  service: true,
  usage: 'scheduler',
  summary: '运行定时任务（周期通知、每日汇总）；多开也不会重复发送',
  run: (ctx) => runRole(ctx, 'scheduler', async (app) => startSchedulerRole(app)),
}

export const botCli: CliCommand = {
  name: 'bot',
  service: true,
  usage: 'bot [--accounts 名1,名2]',
  summary: '运行机器人账号（登录微信、收发消息、按账号限速发送）',
  options: { accounts: { type: 'string' } },
  run: (ctx) => {
    const names = typeof ctx.flags.accounts === 'string' ? ctx.flags.accounts.split(',') : []
    return runRole(ctx, 'bot', async (app) => {
      const { startBotRole } = await import('../../app/bot-role.ts')
      return startBotRole(app, ctx.config, { accounts: names.map((n) => n.trim()).filter(Boolean) })
    })
  },
}

export const webCli: CliCommand = {
  name: 'web',
  service: true,
  usage: 'web',
  summary: '运行工作人员控制台（网页，默认 http://127.0.0.1:3000）',
  run: (ctx) =>
    runRole(ctx, 'web', async (app) => {
      const { startWebRole } = await import('../../app/web-role.ts')
      const server = await startWebRole(app, ctx.config)
      ctx.log.info({ url: server.url }, 'console listening')
      return server
    }),
}
