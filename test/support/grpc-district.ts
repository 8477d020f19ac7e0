import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noticeSend } from '../../cli/commands/notice-send.ts'
import { type BinProcess, runCli, startBin } from './cli.ts'
import { type GrpcProvider, type ProviderSaid, startProvider } from './grpc-provider.ts'
import { createTestDatabase, type TestDatabase } from './pg.ts'
import { createTestRedis, redisUrl, type TestRedis } from './redis.ts'
import { importSample } from './sample-services.ts'

/** The sample district's account served over gRPC in these tests: 17 rooms under 石桥铺街道. */
export const GRPC_ACCOUNT = 'bot-shiqiaopu'

/** Per test: each starts processes of its own, seconds each on a busy two-core machine. */
export const CHILD_TEST_MS = 60_000

/** Pacing that binds within a test: 250 ms between two sends of the account, no jitter. */
export const GRPC_PACING = {
  PACING_PER_MINUTE: '1000',
  PACING_MIN_GAP_MS: '250',
  PACING_JITTER_MS: '0',
  PACING_ROOM_GAP_MS: '0',
  PACING_COOLDOWN_MS: '2000',
}

export interface GrpcDistrict {
  t: TestDatabase
  redis: TestRedis
  provider: GrpcProvider
  /** The env `quanqun bot` / `worker` run with: this district's database, queues, provider. */
  env: NodeJS.ProcessEnv
  /** Starts `quanqun bot --accounts GRPC_ACCOUNT` (own HOME and DATA_DIR); stopped by stop(). */
  bot(extra?: Record<string, string>): BinProcess
  worker(): BinProcess
  /** The bot's first line in `topic` containing `includes`, said after `since` (provider clock). */
  saidIn(topic: string, includes: string, since?: number, timeoutMs?: number): Promise<ProviderSaid>
  /** `quanqun notice send --yes` to every room under 石桥铺街道 (the account's 17); its code. */
  notice(text: string): Promise<string>
  stop(): Promise<void>
}

/**
 * The sample district in its own database and queue prefix, one account of it served by a
 * puppet-service provider child; the roles are `quanqun` children of the test.
 */
export async function startGrpcDistrict(opts: { tls?: boolean } = {}): Promise<GrpcDistrict> {
  const t = await createTestDatabase()
  await importSample(t.db)
  const redis = await createTestRedis()
  const home = await mkdtemp(join(tmpdir(), 'qq-grpc-'))
  const provider = await startProvider({
    databaseUrl: t.url,
    account: GRPC_ACCOUNT,
    tls: opts.tls ?? false,
  })
  const children: BinProcess[] = []
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    DATABASE_URL: t.url,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: redis.prefix,
    LOG_LEVEL: 'info',
    WECHATY_LOG: 'silent',
    ...GRPC_PACING,
    ...provider.botEnv,
  }
  let n = 0
  const own = (extra: Record<string, string>) => {
    // The puppet-service client caches payloads under ~/.wechaty: a HOME per process.
    const dir = join(home, String(++n))
    return { ...env, HOME: dir, DATA_DIR: join(dir, 'data'), ...extra }
  }
  return {
    t,
    redis,
    provider,
    env,
    bot(extra = {}) {
      const child = startBin(['bot', '--accounts', GRPC_ACCOUNT], own(extra))
      children.push(child)
      return child
    },
    worker() {
      const child = startBin(['worker'], own({}))
      children.push(child)
      return child
    },
    async saidIn(topic, includes, since = 0, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const found = (await provider.said()).find(
          (s) => s.topic === topic && s.text.includes(includes) && s.at >= since,
        )
        if (found) return found
        if (Date.now() > end) throw new Error(`the bot did not say "${includes}" in ${topic}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async notice(text) {
      const { code, lines } = await runCli(noticeSend, env, [], {
        scope: '九龙坡区/石桥铺街道',
        text,
        yes: true,
      })
      if (code !== 0) throw new Error(`notice send failed: ${lines.join('\n')}`)
      return /N\d+/.exec(lines.join('\n'))![0]
    },
    async stop() {
      // Children first, whatever fails: a test must never leave a process behind.
      await Promise.allSettled(children.map((c) => c.stop('SIGKILL')))
      await provider.stop().catch(() => {})
      await redis.close().catch(() => {})
      await t.close()
      await rm(home, { recursive: true, force: true })
    },
  }
}
