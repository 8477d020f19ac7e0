import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './config.ts'

/**
 * Job ids are deterministic per database row (`d-<delivery id>`, `fanout-N1-t1`), so a fresh
 * embedded database must not meet the queues of a deleted one in a Redis that outlived it. Without
 * an explicit QUEUE_PREFIX, the embedded database's data directory gets an id of its own, made once,
 * and the prefix carries it. With DATABASE_URL set, the operator pairs database and Redis.
 */
export function withInstancePrefix(config: Config): Config {
  if (config.queuePrefixFromEnv || config.databaseUrl) return config
  const file = join(config.dataDir, 'instance-id')
  let id: string
  try {
    id = readFileSync(file, 'utf8').trim()
  } catch {
    id = ''
  }
  if (!/^[0-9a-f]{8}$/.test(id)) {
    id = randomBytes(4).toString('hex')
    mkdirSync(config.dataDir, { recursive: true })
    writeFileSync(file, `${id}\n`)
  }
  return { ...config, queuePrefix: `${config.queuePrefix}-${id}` }
}
