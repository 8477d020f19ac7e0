import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { type RedisTarget, redisAnswers } from '../queues/connection.ts'

const REDIS_HINT =
  '需要 Redis：运行 `docker compose up -d redis`，或安装 Debian 包 `apt-get install redis-server`，或设置 REDIS_URL（Redis Cluster：检查 REDIS_CLUSTER_NODES 的节点是否都在运行）'

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
 * The demo's Redis: the one configured when it answers; otherwise a `redis-server` child on
 * REDIS_URL's port with its data (AOF) under `dataDir`, when the binary is installed; otherwise
 * (and always for a cluster, which is the operator's to run) a clear error.
 */
export async function ensureRedis(target: RedisTarget, dataDir: string): Promise<LocalRedis> {
  if (await redisAnswers(target)) return { child: undefined, stop: async () => {} }
  if (typeof target !== 'string' && target.redisClusterNodes) throw new RedisUnavailable()
  const url = typeof target === 'string' ? target : target.redisUrl
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
