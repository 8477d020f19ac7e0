import { exportPersonalData, purgePersonalData } from '../../app/privacy.ts'
import { recordAudit } from '../../audit/record-audit.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'
import { cliActor } from './notice-app.ts'

/** WeChat ids are short ASCII-ish handles; anything else is a typo or an attack. */
const WECHAT_ID = /^[\w.@+-]{1,100}$/

export const privacyPurge: CliCommand = {
  name: 'privacy purge',
  usage: 'privacy purge [--days N]',
  summary:
    '匿名化超过保存期限（PRIVACY_RETENTION_DAYS，默认 180 天）的已结束工单和审计记录中的个人信息；调度器每晚自动执行',
  options: { days: { type: 'string' } },
  async run({ flags, config, log, out }) {
    const days = flags.days === undefined ? config.retentionDays : Number(flags.days)
    if (!Number.isInteger(days) || days < 1 || days > 36_500) {
      throw new UsageError('用法: quanqun privacy purge [--days 天数]（1 到 36500 的整数）')
    }
    return withDatabase(config, async ({ db }) => {
      const result = await purgePersonalData(db, { retentionDays: days, dataDir: config.dataDir })
      await recordAudit(db, {
        actorRef: cliActor().ref,
        action: 'privacy.purge',
        allowed: true,
        detail: { days, orders: result.orders, auditLines: result.auditLines, files: result.files },
      })
      log.info({ ...result, days }, 'privacy purge')
      out(
        `已匿名化 ${result.before.toISOString().slice(0, 10)} 之前结束的工单 ${result.orders} 张、审计记录 ${result.auditLines} 条，删除附件 ${result.files} 个。`,
      )
      return 0
    })
  },
}

export const privacyExport: CliCommand = {
  name: 'privacy export',
  usage: 'privacy export <微信号>',
  summary: '导出本系统保存的某位居民或工作人员的全部个人信息（JSON），用于个人信息查阅请求',
  async run({ args, config, out }) {
    const [wechatId, ...rest] = args
    if (!wechatId || rest.length > 0 || !WECHAT_ID.test(wechatId)) {
      throw new UsageError('用法: quanqun privacy export <微信号>')
    }
    return withDatabase(config, async ({ db }) => {
      const data = await exportPersonalData(db, wechatId)
      // Who looked at whose data is itself worth keeping.
      await recordAudit(db, {
        actorRef: cliActor().ref,
        action: 'privacy.export',
        allowed: true,
        detail: { subject: wechatId, orders: data.orders.length },
      })
      out(JSON.stringify(data, null, 2))
      return 0
    })
  },
}
