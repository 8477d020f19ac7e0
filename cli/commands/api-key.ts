import { recordAudit } from '../../audit/record-audit.ts'
import { formatLocalTime } from '../../core/local-time.ts'
import { createApiKey, listApiKeys, revokeApiKey } from '../../web/open311/api-keys.ts'
import { apiKeyTexts as texts } from '../../web/open311/texts.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'
import { cliActor } from './notice-app.ts'

export const apiKeyCreate: CliCommand = {
  name: 'api-key create',
  usage: 'api-key create <名称> [--unit <路径>]',
  summary: '为一个对接系统（12345 热线、城市平台）创建 Open311 密钥，只显示一次',
  options: { unit: { type: 'string' } },
  async run({ args, flags, config, out }) {
    const [name, ...rest] = args
    if (!name || rest.length > 0 || flags.unit === true) throw new UsageError(texts.createUsage)
    const unitPath = typeof flags.unit === 'string' ? flags.unit : undefined
    return withDatabase(config, async ({ db }) => {
      const created = await createApiKey(db, name, unitPath)
      if (!created.ok) {
        out(
          created.problem === 'badName'
            ? texts.badName
            : created.problem === 'exists'
              ? texts.exists(name)
              : texts.unknownUnit(unitPath ?? ''),
        )
        return 1
      }
      await recordAudit(db, {
        actorRef: cliActor().ref,
        action: 'api-key.create',
        allowed: true,
        detail: { name, scope: created.unitPath },
      })
      out(texts.created(name, created.unitPath))
      out(created.key)
      out(texts.once)
      return 0
    })
  },
}

export const apiKeyList: CliCommand = {
  name: 'api-key list',
  usage: 'api-key list',
  summary: '列出 Open311 密钥（名称、范围、创建与吊销时间；不显示密钥本身）',
  async run({ args, config, out }) {
    if (args.length > 0) throw new UsageError('用法: api-key list')
    return withDatabase(config, async ({ db }) => {
      const keys = await listApiKeys(db)
      if (keys.length === 0) out(texts.none)
      for (const k of keys) {
        out(
          texts.line({
            name: k.name,
            scope: k.unitPath ?? '全区',
            created: formatLocalTime(k.createdAt, config.timezone),
            revoked: k.revokedAt ? formatLocalTime(k.revokedAt, config.timezone) : null,
          }),
        )
      }
      return 0
    })
  },
}

export const apiKeyRevoke: CliCommand = {
  name: 'api-key revoke',
  usage: 'api-key revoke <名称>',
  summary: '吊销一个 Open311 密钥，立即失效',
  async run({ args, config, out }) {
    const [name, ...rest] = args
    if (!name || rest.length > 0) throw new UsageError(texts.revokeUsage)
    return withDatabase(config, async ({ db }) => {
      if (!(await revokeApiKey(db, name, new Date()))) {
        out(texts.notLive(name))
        return 1
      }
      await recordAudit(db, {
        actorRef: cliActor().ref,
        action: 'api-key.revoke',
        allowed: true,
        detail: { name },
      })
      out(texts.revoked(name))
      return 0
    })
  },
}
