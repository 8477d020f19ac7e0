/**
 * `quanqun doctor`: what an operator checks before going live, one line each, with the fix. Every
 * check is data ({ name, run }) and never throws: a failure is a ✗ line, not a stack trace.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { sessionOf } from '../bot/puppet.ts'
import { type Config, MOCK_PUPPET } from '../core/config.ts'
import { type Db, migrationsFolder } from '../db/client.ts'
import { rowsOf } from '../db/rows.ts'
import { listBotAccounts } from '../network/bot-accounts.ts'
import { type RedisClient, redisMasters } from '../queues/connection.ts'

export interface CheckResult {
  ok: boolean
  /** What was found, in a few words. */
  detail: string
  /** What to do about a ✗. */
  fix?: string
}

export interface DoctorContext {
  config: Config
  /** Undefined when PostgreSQL could not be opened: the checks that need it say so. */
  db: Db | undefined
  /** A cluster's masters are each checked. */
  redis: RedisClient
}

export interface Check {
  name: string
  run(ctx: DoctorContext): Promise<CheckResult | CheckResult[]>
}

const ok = (detail: string): CheckResult => ({ ok: true, detail })
const bad = (detail: string, fix: string): CheckResult => ({ ok: false, detail, fix })
const NO_DB = bad('数据库未连接', '先修复上面的数据库连接')

/** `key:value` lines of Redis INFO, as a map. */
function infoOf(text: string): Map<string, string> {
  return new Map(
    text
      .split(/\r?\n/)
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  )
}

const journal = join(migrationsFolder, 'meta/_journal.json')

/** The newest migration this build ships (its `when`, as drizzle records it). */
function newestMigration(): { tag: string; when: number } {
  const entries = (
    JSON.parse(readFileSync(journal, 'utf8')) as { entries: { tag: string; when: number }[] }
  ).entries
  return entries.at(-1)!
}

function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 120)
}

const checks: readonly Check[] = [
  {
    name: '时区',
    async run({ config }) {
      try {
        const now = new Intl.DateTimeFormat('zh-CN', {
          timeZone: config.timezone,
          dateStyle: 'short',
          timeStyle: 'short',
        }).format(new Date())
        return ok(`${config.timezone}，当地时间 ${now}`)
      } catch {
        return bad(
          `未知时区 ${config.timezone}`,
          '把 TIMEZONE 设为 IANA 时区名，例如 Asia/Shanghai',
        )
      }
    },
  },
  {
    name: 'PostgreSQL',
    async run({ db }) {
      if (!db) return bad('无法连接', '检查 DATABASE_URL，确认 PostgreSQL 在运行并允许连接')
      const [row] = rowsOf<{ v: string; at: string | Date }>(
        await db.execute(sql`select current_setting('server_version') as v, now() as at`),
      )
      const skewMs = Math.abs(new Date(row?.at ?? Date.now()).getTime() - Date.now())
      const skew =
        skewMs > 5_000
          ? bad(`数据库时钟与本机相差 ${Math.round(skewMs / 1000)} 秒`, '同步两台机器的时间（NTP）')
          : ok(`版本 ${row?.v ?? '?'}，时钟一致`)
      return skew
    },
  },
  {
    name: '数据库迁移',
    async run({ db }) {
      if (!db) return NO_DB
      const newest = newestMigration()
      try {
        const rows = rowsOf<{ last: string | null }>(
          await db.execute(
            sql`select max(created_at)::text as last from drizzle.__drizzle_migrations`,
          ),
        )
        const last = Number(rows[0]?.last ?? 0)
        return last >= newest.when
          ? ok(`已到最新（${newest.tag}）`)
          : bad(`未到最新（应有 ${newest.tag}）`, '运行 quanqun db migrate')
      } catch {
        return bad('尚未迁移', '运行 quanqun db migrate')
      }
    },
  },
  {
    name: '服务目录',
    async run({ db }) {
      if (!db) return NO_DB
      try {
        const rows = rowsOf<{ n: number; general: number }>(
          await db.execute(
            sql`select count(*)::int as n, count(*) filter (where code = 'general')::int as general from service_catalog`,
          ),
        )
        const { n = 0, general = 0 } = rows[0] ?? {}
        if (n === 0) return bad('没有服务类别', '运行 quanqun orders catalog')
        if (general === 0)
          return bad(`${n} 个类别，缺少兜底类别 general`, '运行 quanqun orders catalog')
        return ok(`${n} 个类别`)
      } catch {
        return bad('服务目录表不存在', '运行 quanqun db migrate，再运行 quanqun orders catalog')
      }
    },
  },
  {
    name: 'Redis',
    async run({ redis }) {
      try {
        const masters = redisMasters(redis)
        if (masters.length === 0) throw new Error('集群没有可用的主节点')
        const infos = await Promise.all(masters.map(async (m) => infoOf(await m.info())))
        const version = infos[0]!.get('redis_version') ?? '?'
        const cluster = infos[0]!.get('cluster_enabled') === '1'
        // On a cluster each master keeps its own jobs: every one of them must be set up.
        const lacking = (has: (info: Map<string, string>) => boolean) => {
          const n = infos.filter((i) => !has(i)).length
          return cluster && n > 0 ? `（${n}/${infos.length} 个主节点）` : ''
        }
        const results: CheckResult[] = [
          ok(`版本 ${version}${cluster ? `，集群模式，${infos.length} 个主节点` : ''}`),
        ]
        const aof = (i: Map<string, string>) => i.get('aof_enabled') === '1'
        results.push(
          infos.every(aof)
            ? ok('AOF 已开启')
            : bad(
                `AOF 未开启${lacking(aof)}：重启会丢失排队中的消息`,
                '在 redis.conf 设置 appendonly yes',
              ),
        )
        const noeviction = (i: Map<string, string>) => i.get('maxmemory_policy') === 'noeviction'
        const policy = infos.find((i) => !noeviction(i))?.get('maxmemory_policy') ?? '?'
        results.push(
          infos.every(noeviction)
            ? ok('maxmemory-policy noeviction')
            : bad(
                `maxmemory-policy ${policy}${lacking(noeviction)}：内存满时会删掉排队中的任务`,
                '设置 maxmemory-policy noeviction',
              ),
        )
        return results
      } catch (error) {
        return bad(
          `无法连接：${errorLine(error)}`,
          '检查 REDIS_URL（集群：REDIS_CLUSTER_NODES），确认 Redis 在运行',
        )
      }
    },
  },
  {
    name: '机器人账号',
    async run({ db, config }) {
      if (!db) return NO_DB
      const accounts = await listBotAccounts(db).catch(() => [])
      if (accounts.length === 0)
        return bad('没有机器人账号', '运行 quanqun network import 导入含「机器人」列的名册')
      if (config.puppet === MOCK_PUPPET)
        return ok(`${accounts.length} 个账号，使用模拟微信（演示）`)
      const results: CheckResult[] = []
      try {
        import.meta.resolve(config.puppet)
        results.push(ok(`puppet ${config.puppet} 已安装`))
      } catch {
        results.push(bad(`puppet ${config.puppet} 未安装`, `运行 npm install ${config.puppet}`))
      }
      if (config.puppet === 'wechaty-puppet-service' && !config.puppetToken) {
        results.push(bad('缺少 WECHATY_PUPPET_SERVICE_TOKEN', '设置服务商给的 token'))
      }
      for (const a of accounts) {
        results.push(
          existsSync(sessionOf(config.dataDir, a.name).file)
            ? ok(`${a.name}：有登录会话`)
            : bad(`${a.name}：没有登录会话`, '运行 quanqun bot，用该账号的微信扫码登录'),
        )
      }
      return results
    },
  },
]

/** Runs every check; a check that throws is a ✗ with its first line. */
export async function runChecks(
  ctx: DoctorContext,
  list: readonly Check[] = checks,
): Promise<{ name: string; result: CheckResult }[]> {
  const out: { name: string; result: CheckResult }[] = []
  for (const check of list) {
    const results = await check.run(ctx).catch((error: unknown) => bad(errorLine(error), '见上'))
    for (const result of Array.isArray(results) ? results : [results])
      out.push({ name: check.name, result })
  }
  return out
}
