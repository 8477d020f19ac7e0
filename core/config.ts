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
})

export interface PacingConfig {
  perMinute: number
  minGapMs: number
  jitterMs: number
  roomGapMs: number
  cooldownMs: number
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
