import { z } from 'zod'

/** The puppet of the demo and the tests: a simulated WeChat in the process. */
export const MOCK_PUPPET = 'wechaty-puppet-mock'

const intFromEnv = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback)

/**
 * Every setting quanqun reads from the environment. Defaults are the demo's: mock puppet,
 * embedded PGlite under DATA_DIR, local Redis. Pacing defaults follow what WeChat bot operators
 * report as safe: 20-40 messages a minute per account and about 3 s between messages to one room.
 */
const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  // Seed nodes of a Redis Cluster; when set, every connection is a cluster client (REDIS_URL then
  // lends only its user, password and rediss://).
  REDIS_CLUSTER_NODES: z
    .string()
    .max(2_000)
    .regex(
      /^\s*[\w.-]+:\d{1,5}(\s*,\s*[\w.-]+:\d{1,5})*\s*$/,
      'host:port,host:port,… (at least one)',
    )
    .refine((list) => clusterNodesOf(list).every((n) => n.port >= 1 && n.port <= 65_535), {
      message: 'ports 1-65535',
    })
    .optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[\w{}:-]{1,64}$/, 'letters, digits, _ - : { } only')
    .default('qq'),
  WECHATY_PUPPET: z.string().min(1).default(MOCK_PUPPET),
  WECHATY_PUPPET_SERVICE_TOKEN: z.string().optional(),
  // host:port of the provider; unset, the puppet looks the token up on the internet (discovery).
  WECHATY_PUPPET_SERVICE_ENDPOINT: z
    .string()
    .regex(/^[\w.:[\]-]+:\d+$/, 'must be host:port')
    .optional(),
  WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: z.enum(['true', 'false']).default('false'),
  // A puppet that never started is tried this many more times, then the role gives up.
  PUPPET_START_RETRIES: intFromEnv(3),
  PUPPET_RETRY_FIRST_MS: intFromEnv(2_000, 1),
  // A start not done by then failed (an endpoint that accepts and never answers).
  PUPPET_START_TIMEOUT_MS: intFromEnv(10_000, 100),
  // One process per account: the lease another process waits out when this one dies.
  ACCOUNT_LEASE_MS: intFromEnv(30_000, 300),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TIMEZONE: z.string().min(1).default('Asia/Shanghai'),
  PACING_PER_MINUTE: intFromEnv(30, 1),
  PACING_MIN_GAP_MS: intFromEnv(1500),
  PACING_JITTER_MS: intFromEnv(1000),
  PACING_ROOM_GAP_MS: intFromEnv(3000),
  PACING_COOLDOWN_MS: intFromEnv(10 * 60_000),
  // Half a year: long enough for a resident's complaint about an order, short enough for PIPL.
  PRIVACY_RETENTION_DAYS: intFromEnv(180, 1),
  // Eight hours of service: more in one day waits for a station's approval.
  POINTS_PER_DAY: intFromEnv(80, 1),
  // Who a notice says it is from, above its code: "——九龙坡区新时代文明实践中心 N12".
  NOTICE_SIGNATURE: z.string().trim().min(1).max(40).optional(),
  // How long before a notice's 活动时间 its reminders go out: "3d,1d", "72h,2h", "30m".
  NOTICE_REMINDERS: z
    .string()
    .regex(/^\s*\d{1,4}\s*[dhm](\s*,\s*\d{1,4}\s*[dhm]){0,4}\s*$/, 'like 3d,1d (d, h or m)')
    .optional(),
  // A notice's picture or file at most, in MB: a phone photo is 1–5 MB, a leaflet PDF a few.
  NOTICE_ATTACHMENT_MAX_MB: intFromEnv(10, 1),
  // 撤回 takes back what was said this long ago at most (WeChat allows two minutes).
  NOTICE_RECALL_WINDOW_S: intFromEnv(120, 1),
  // The staff console: loopback by default, so exposing it is a decision (a reverse proxy, TLS).
  WEB_HOST: z.string().min(1).default('127.0.0.1'),
  WEB_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  // 双人审核: scope tiers whose notices need a second member's approval ("1,2": district and
  // township); none by default.
  NOTICE_APPROVAL_TIERS: z
    .string()
    .regex(/^\s*([1-5](\s*,\s*[1-5])*)?\s*$/, 'tiers 1-5, comma separated, e.g. 1,2')
    .default(''),
  // A notice pauses itself once this many of its sends failed for good (0: never) and they are at
  // least this share of its sends finished: an account banned mid-notice, not a few dead rooms.
  NOTICE_AUTO_PAUSE_FAILURES: intFromEnv(20),
  NOTICE_AUTO_PAUSE_RATIO: z.coerce.number().min(0).max(1).default(0.1),
  WEB_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'must start with http:// or https://')
    .optional(),
})

export interface PacingConfig {
  perMinute: number
  minGapMs: number
  jitterMs: number
  roomGapMs: number
  cooldownMs: number
}

/** How hard an account's puppet start is tried, and how one process owns an account. */
interface AccountRunConfig {
  startRetries: number
  retryFirstMs: number
  startTimeoutMs: number
  leaseMs: number
}

/** One node of a Redis Cluster, as REDIS_CLUSTER_NODES lists it. */
export interface HostPort {
  host: string
  port: number
}

export interface Config {
  databaseUrl: string | undefined
  dataDir: string
  redisUrl: string
  /** REDIS_CLUSTER_NODES: set, every Redis connection is a cluster client seeded with these. */
  redisClusterNodes: readonly HostPort[] | undefined
  queuePrefix: string
  /** False when QUEUE_PREFIX fell back to its default (see instance-prefix.ts). */
  queuePrefixFromEnv: boolean
  puppet: string
  puppetToken: string | undefined
  /** The provider's host:port for wechaty-puppet-service (no discovery when set). */
  puppetEndpoint: string | undefined
  /** Plain gRPC to the provider (WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true). */
  puppetNoTls: boolean
  accountRun: AccountRunConfig
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL']
  timezone: string
  pacing: PacingConfig
  /** Days after which closed orders and audit lines lose residents' personal data. */
  retentionDays: number
  /** A volunteer's love-bank points per day before postings wait for approval. */
  pointsPerDay: number
  noticeSignature: string | undefined
  /** NOTICE_REMINDERS in ms, longest first; undefined for the default. */
  noticeReminderOffsetsMs: number[] | undefined
  /** NOTICE_ATTACHMENT_MAX_MB in bytes. */
  noticeAttachmentMaxBytes: number
  /** NOTICE_RECALL_WINDOW_S in ms. */
  noticeRecallWindowMs: number
  web: WebConfig
  /** Scope tiers (1 district … 5 building) whose notices need a second member's approval. */
  noticeApprovalTiers: number[]
  /** When a notice pauses itself (NOTICE_AUTO_PAUSE_*); failures 0 never. */
  noticeAutoPause: { failures: number; ratio: number }
}

export interface WebConfig {
  host: string
  /** 0 picks a free port (tests). */
  port: number
  /** The address staff open, as login links spell it; http://host:port when unset. */
  publicUrl: string | undefined
}

class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads the environment once; the entry points pass the result down. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  )
  const parsed = EnvSchema.safeParse(present)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ConfigError(`配置错误 ${String(issue.path[0])}: ${issue.message}`)
  }
  const e = parsed.data
  // Queue names carry their own hash tags (queues/); a tag in the prefix would win over them and
  // put every queue of the cluster on one node.
  if (e.REDIS_CLUSTER_NODES !== undefined && /[{}]/.test(e.QUEUE_PREFIX)) {
    throw new ConfigError(
      '配置错误 QUEUE_PREFIX: 集群模式下不要用 { }（队列名已自带哈希标签，前缀带标签会把所有队列挤到一个节点）',
    )
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisClusterNodes:
      e.REDIS_CLUSTER_NODES === undefined ? undefined : clusterNodesOf(e.REDIS_CLUSTER_NODES),
    queuePrefix: e.QUEUE_PREFIX,
    queuePrefixFromEnv: present.QUEUE_PREFIX !== undefined,
    puppet: e.WECHATY_PUPPET,
    puppetToken: e.WECHATY_PUPPET_SERVICE_TOKEN,
    puppetEndpoint: e.WECHATY_PUPPET_SERVICE_ENDPOINT,
    puppetNoTls: e.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT === 'true',
    accountRun: {
      startRetries: e.PUPPET_START_RETRIES,
      retryFirstMs: e.PUPPET_RETRY_FIRST_MS,
      startTimeoutMs: e.PUPPET_START_TIMEOUT_MS,
      leaseMs: e.ACCOUNT_LEASE_MS,
    },
    logLevel: e.LOG_LEVEL,
    timezone: e.TIMEZONE,
    pacing: {
      perMinute: e.PACING_PER_MINUTE,
      minGapMs: e.PACING_MIN_GAP_MS,
      jitterMs: e.PACING_JITTER_MS,
      roomGapMs: e.PACING_ROOM_GAP_MS,
      cooldownMs: e.PACING_COOLDOWN_MS,
    },
    retentionDays: e.PRIVACY_RETENTION_DAYS,
    pointsPerDay: e.POINTS_PER_DAY,
    noticeSignature: e.NOTICE_SIGNATURE,
    noticeReminderOffsetsMs:
      e.NOTICE_REMINDERS === undefined ? undefined : durationsMs(e.NOTICE_REMINDERS),
    noticeAttachmentMaxBytes: e.NOTICE_ATTACHMENT_MAX_MB * 1024 * 1024,
    noticeRecallWindowMs: e.NOTICE_RECALL_WINDOW_S * 1000,
    noticeApprovalTiers: [
      ...new Set(
        e.NOTICE_APPROVAL_TIERS.split(',')
          .filter((t) => t.trim() !== '')
          .map(Number),
      ),
    ],
    noticeAutoPause: { failures: e.NOTICE_AUTO_PAUSE_FAILURES, ratio: e.NOTICE_AUTO_PAUSE_RATIO },
    web: { host: e.WEB_HOST, port: e.WEB_PORT, publicUrl: e.WEB_URL?.replace(/\/+$/, '') },
  }
}

/** "a:7000, b:7001" → [{ host: 'a', port: 7000 }, …]: the shape is checked by the schema. */
function clusterNodesOf(list: string): HostPort[] {
  return list.split(',').map((item) => {
    const [host, port] = item.trim().split(':') as [string, string]
    return { host, port: Number(port) }
  })
}

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const

/** "3d, 1d" → [259200000, 86400000]: the shape is checked by the schema. */
function durationsMs(list: string): number[] {
  return list.split(',').map((item) => {
    const m = /(\d+)\s*([dhm])/.exec(item)!
    return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]
  })
}

/**
 * The console's address as staff open it: WEB_URL, or the address it listens on; unknown before
 * it listens when the port is picked at start (0).
 */
export function consoleUrlOf(web: WebConfig): string | undefined {
  if (web.publicUrl) return web.publicUrl
  if (web.port === 0) return undefined
  const host = web.host === '0.0.0.0' || web.host === '::' ? 'localhost' : web.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${web.port}`
}
