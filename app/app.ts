import { Caches } from '../core/caches.ts'
import { type Config, consoleUrlOf } from '../core/config.ts'
import type { Logger } from '../core/logger.ts'
import type { Services } from '../core/services.ts'
import { type Database, openDatabase } from '../db/client.ts'
import { createRedis } from '../queues/connection.ts'
import { Messenger } from '../queues/messenger.ts'

export interface App {
  services: Services
  database: Database
  close(): Promise<void>
}

export interface OpenAppOptions {
  migrate?: boolean
  orders?: Services['orders']
  /** PostgreSQL pool size; a CLI command needs few. */
  max?: number
  /**
   * False when the caller will not queue (it found Redis down): the connection is then a lazy one
   * that never connects, since a command on it would wait for a server, and close() drops it.
   */
  redis?: boolean
}

/** Opens storage and queues once for a process; every role is built on the result. */
export async function openApp(
  config: Config,
  log: Logger,
  opts: OpenAppOptions = {},
): Promise<App> {
  const database = openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    ...(opts.max === undefined ? {} : { max: opts.max }),
  })
  if (opts.migrate) {
    try {
      await database.migrate()
    } catch (error) {
      // An open pool would keep a failed CLI command from exiting.
      await database.close()
      throw error
    }
  }
  const redis = opts.redis ?? true
  const connection = createRedis(config, { lazy: !redis })
  connection.on('error', (error) => log.error({ err: error }, 'redis connection error'))
  const messenger = new Messenger(database.db, connection, config.queuePrefix)
  const services: Services = {
    db: database.db,
    log,
    connection,
    queuePrefix: config.queuePrefix,
    messenger,
    timezone: config.timezone,
    retentionDays: config.retentionDays,
    dataDir: config.dataDir,
    caches: new Caches(),
    now: () => new Date(),
    orders: { pointsPerDay: config.pointsPerDay, ...opts.orders },
    notices: {
      ...(config.noticeSignature && { signature: config.noticeSignature }),
      ...(config.noticeReminderOffsetsMs && { reminderOffsetsMs: config.noticeReminderOffsetsMs }),
      autoPause: config.noticeAutoPause,
      attachmentMaxBytes: config.noticeAttachmentMaxBytes,
      recallWindowMs: config.noticeRecallWindowMs,
    },
    noticeApprovalTiers: config.noticeApprovalTiers,
  }
  const consoleUrl = consoleUrlOf(config.web)
  services.staffConsole = consoleUrl ? { url: consoleUrl } : {}
  const app: App = {
    services,
    database,
    async close() {
      await messenger.close()
      if (redis) await connection.quit().catch(() => connection.disconnect())
      else connection.disconnect()
      await database.close()
    },
  }
  return app
}
