import { Messenger } from '../bot/messenger.ts'
import { type Database, openDatabase } from '../db/client.ts'
import { createRedis } from '../queues/connection.ts'
import type { Config } from './config.ts'
import type { Logger } from './logger.ts'
import type { Services } from './services.ts'

export interface App {
  services: Services
  database: Database
  close(): Promise<void>
}

/** Opens storage and queues once for a process; every role is built on the result. */
export async function openApp(
  config: Config,
  log: Logger,
  opts: { migrate?: boolean; orders?: Services['orders'] } = {},
) {
  const database = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir })
  if (opts.migrate) await database.migrate()
  const connection = createRedis(config.redisUrl)
  connection.on('error', (error) => log.error({ err: error }, 'redis connection error'))
  const messenger = new Messenger(database.db, connection, config.queuePrefix)
  const services: Services = {
    db: database.db,
    log,
    connection,
    queuePrefix: config.queuePrefix,
    messenger,
    timezone: config.timezone,
    now: () => new Date(),
    ...(opts.orders ? { orders: opts.orders } : {}),
  }
  const app: App = {
    services,
    database,
    async close() {
      await messenger.close()
      await connection.quit().catch(() => connection.disconnect())
      await database.close()
    },
  }
  return app
}
