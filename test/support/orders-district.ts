import { eq } from 'drizzle-orm'
import { groups } from '../../db/schema/network.ts'
import { loadCatalog } from '../../orders/catalogue.ts'
import { closeSlaQueue } from '../../orders/sla-timer.ts'
import type { Services } from '../../runtime/services.ts'
import { createTestDatabase, type TestDatabase } from './pg.ts'
import { createTestRedis } from './redis.ts'
import { importSample, testServices } from './sample-services.ts'

export interface OrdersDistrict {
  t: TestDatabase
  services: Services
  /** The group with `topic` and its unit, as the chat pipeline would hand them over. */
  group(topic: string): Promise<{ id: number; unitId: number }>
  stop(): Promise<void>
}

/**
 * The sample district in its own database with the catalogue loaded, and services without bots
 * or workers: intake and the rules run for real, messages are queued and never said. For tests
 * that call orders/ directly (many orders at once, hostile text) in milliseconds.
 */
export async function startOrdersDistrict(): Promise<OrdersDistrict> {
  const t = await createTestDatabase()
  await importSample(t.db)
  await loadCatalog(t.db)
  const redis = await createTestRedis()
  const services = testServices(t.db, redis.connection, redis.prefix)
  return {
    t,
    services,
    async group(topic) {
      const [row] = await t.db
        .select({ id: groups.id, unitId: groups.unitId })
        .from(groups)
        .where(eq(groups.topic, topic))
      if (!row) throw new Error(`no group ${topic}`)
      return row
    },
    async stop() {
      await closeSlaQueue(services)
      await services.messenger.close()
      await redis.close()
      await t.close()
    },
  }
}
