import { readFile } from 'node:fs/promises'
import { pino } from 'pino'
import { Caches } from '../../core/caches.ts'
import type { Services } from '../../core/services.ts'
import type { Db } from '../../db/client.ts'
import { importNetwork } from '../../network/import.ts'
import type { RedisClient } from '../../queues/connection.ts'
import { Messenger } from '../../queues/messenger.ts'

/*
 * The sample district's data and the Services every test builds, without bots: kept apart from
 * sample-district.ts so a worker child process or a PGlite test need not load Wechaty (seconds).
 */

/** Imports fixtures/sample-district.csv into `db`; throws if the import is refused. */
export async function importSample(db: Db): Promise<void> {
  const csv = await readFile(new URL('../../fixtures/sample-district.csv', import.meta.url))
  const result = await importNetwork(db, csv)
  if (!result.ok) throw new Error(`sample import failed: ${JSON.stringify(result.errors)}`)
}

/** Services on a test's database and queue prefix; silent unless TEST_LOG_LEVEL says otherwise. */
export function testServices(
  db: Db,
  connection: RedisClient,
  prefix: string,
  extra: Partial<Services> = {},
): Services {
  return {
    db,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    connection,
    queuePrefix: prefix,
    messenger: new Messenger(db, connection, prefix),
    timezone: 'Asia/Shanghai',
    caches: new Caches(),
    now: () => new Date(),
    // Filled in by a test that starts the console (support/web-console.ts).
    staffConsole: {},
    ...extra,
  }
}
