import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { redisAnswers } from '../queues/connection.ts'

const REDIS_HINT =
  '需要 Redis：运行 `docker compose up -d redis`，或安装 Debian 包 `apt-get install redis-server`，或设置 REDIS_URL'

class RedisUnavailable extends Error {
  override name = 'RedisUnavailable'
  constructor() {
    super(REDIS_HINT)
  }
}

export interface LocalRedis {
  /** The child we started, or undefined when a server already answered. */
  child: ChildProcess | undefined
  stop(): Promise<void>
}

function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/**
 * The demo's Redis: the one at `url` when it answers; otherwise a `redis-server` child on that
 * port with its data (AOF) under `dataDir`, when the binary is installed; otherwise a clear error.
 */
export async function ensureRedis(url: string, dataDir: string): Promise<LocalRedis> {
  if (await redisAnswers(url)) return { child: undefined, stop: async () => {} }
  const u = new URL(url)
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)
  if (!local || !hasBinary('redis-server')) throw new RedisUnavailable()
  const dir = resolve(dataDir, 'redis')
  mkdirSync(dir, { recursive: true })
  const child = spawn(
    'redis-server',
    [
      '--port',
      u.port || '6379',
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  )
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url, 200)) {
      return {
        child,
        async stop() {
          child.kill('SIGTERM')
          await exited
        },
      }
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new RedisUnavailable()
}
