import { readFile } from 'node:fs/promises'
import { count } from 'drizzle-orm'
import { openApp } from '../../app/app.ts'
import { startSchedulerRole, startWorkerRole } from '../../app/process-roles.ts'
import { ensureRedis } from '../../app/redis-server.ts'
import { startWebRole } from '../../app/web-role.ts'
import { MOCK_PUPPET, type PacingConfig } from '../../core/config.ts'
import { onShutdown } from '../../core/shutdown.ts'
import { units } from '../../db/schema/network.ts'
import { PROPAGANDIST, runDemo } from '../../demo/scenario.ts'
import { sampleResidents } from '../../fixtures/sample-residents.ts'
import { importNetwork } from '../../network/import.ts'
import { issueLoginLink } from '../../network/login-links.ts'
import { findMemberByWechatId } from '../../network/roles.ts'
import type { CliCommand } from '../command.ts'

const SAMPLE_CSV = new URL('../../fixtures/sample-district.csv', import.meta.url)

/**
 * Mock accounts cannot be banned, so the demo paces ten times faster than the defaults to show a
 * district's day in under a minute; a real puppet always gets the configured pacing.
 */
const DEMO_PACING: PacingConfig = {
  perMinute: 300,
  minGapMs: 100,
  jitterMs: 100,
  roomGapMs: 300,
  cooldownMs: 5_000,
}

const DEMO_ORDERS = { slaScale: 0.002 }

export const startCli: CliCommand = {
  name: 'start',
  service: true,
  usage: 'start [--quiet] [--demo-once] [--puppet <name>]',
  summary: '一个进程运行全部角色；未配置时用模拟微信演示一个街区的一天',
  options: {
    quiet: { type: 'boolean' },
    'demo-once': { type: 'boolean' },
    puppet: { type: 'string' },
  },
  async run({ config: base, flags, log: baseLog, out }) {
    const puppet = typeof flags.puppet === 'string' ? flags.puppet : base.puppet
    const mock = puppet === MOCK_PUPPET
    const config = { ...base, puppet, pacing: mock ? DEMO_PACING : base.pacing }
    // The demo's chat transcript is the show; info logs would bury it (LOG_LEVEL still wins).
    const demo = mock && !flags.quiet
    const log = demo && base.logLevel === 'info' ? baseLog.child({}, { level: 'warn' }) : baseLog
    const redis = await ensureRedis(config, config.dataDir)
    if (redis.child) out(`已在本机启动 redis-server（数据在 ${config.dataDir}/redis）`)
    // The demo's day fits in a minute: SLAs shrink 500-fold (30 min to accept → 3.6 s).
    const app = await openApp(config, log, {
      migrate: true,
      ...(demo ? { orders: DEMO_ORDERS } : {}),
    })
    const stopAll: (() => Promise<void>)[] = [() => app.close(), () => redis.stop()]
    const stop = async () => {
      for (const s of stopAll) await s()
    }
    try {
      const [{ n }] = (await app.services.db.select({ n: count() }).from(units)) as [{ n: number }]
      if (n === 0 && mock) {
        const result = await importNetwork(app.services.db, await readFile(SAMPLE_CSV))
        if (!result.ok) throw new Error('示例街区导入失败')
        out(`已导入示例街区（单位 ${result.created.units}、群 ${result.created.groups}）`)
      } else if (n === 0) {
        out('数据库里还没有网络：先运行 quanqun network import <名册.xlsx 或 .csv>')
      }
      const workers = await startWorkerRole(app)
      stopAll.unshift(() => workers.close())
      const scheduler = startSchedulerRole(app)
      stopAll.unshift(() => scheduler.close())
      const web = await startWebRole(app, config)
      stopAll.unshift(() => web.close())
      const { startBotRole } = await import('../../app/bot-role.ts')
      const bot = await startBotRole(app, config, { residents: sampleResidents })
      stopAll.unshift(() => bot.close())
      out(`圈群已启动：${bot.bots.accounts.length} 个机器人账号（${puppet}）`)
      out(`控制台：${web.url}`)
      const propagandist = mock && (await findMemberByWechatId(app.services.db, PROPAGANDIST))
      if (propagandist) {
        const link = await issueLoginLink(app.services.db, {
          memberId: propagandist.id,
          issuedBy: 'start',
          consoleUrl: app.services.staffConsole?.url ?? web.url,
          now: app.services.now(),
        })
        out(`${propagandist.name}（示例街区宣传员）的一次性登录链接，10 分钟内有效：${link.url}`)
      }

      if (bot.network && !flags.quiet) {
        const ok = await runDemo({ network: bot.network, services: app.services, out })
        if (flags['demo-once']) {
          await stop()
          return ok ? 0 : 1
        }
      }
      out('运行中，按 Ctrl-C 退出')
      await onShutdown(log, stop)
      return 0
    } catch (error) {
      await stop().catch(() => {})
      throw error
    }
  },
}
