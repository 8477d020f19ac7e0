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
  // The staff console: loopback by default, so exposing it is a decision (a reverse proxy, TLS).
  WEB_HOST: z.string().min(1).default('127.0.0.1'),
  WEB_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  // 双人审核: scope tiers whose notices need a second member's approval ("1,2": district and
  // township); none by default.
  NOTICE_APPROVAL_TIERS: z
    .string()
    .regex(/^\s*([1-5](\s*,\s*[1-5])*)?\s*$/, 'tiers 1-5, comma separated, e.g. 1,2')
    .default(''),
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

export interface Config {
  databaseUrl: string | undefined
  dataDir: string
  redisUrl: string
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
  web: WebConfig
  /** Scope tiers (1 district … 5 building) whose notices need a second member's approval. */
  noticeApprovalTiers: number[]
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
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
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
    noticeApprovalTiers: [
      ...new Set(
        e.NOTICE_APPROVAL_TIERS.split(',')
          .filter((t) => t.trim() !== '')
          .map(Number),
      ),
    ],
    web: { host: e.WEB_HOST, port: e.WEB_PORT, publicUrl: e.WEB_URL?.replace(/\/+$/, '') },
  }
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
