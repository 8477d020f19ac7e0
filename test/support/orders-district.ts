import { eq } from 'drizzle-orm'
import type { Services } from '../../core/services.ts'
import { groups } from '../../db/schema/network.ts'
import { loadCatalog } from '../../orders/catalogue.ts'
import type { PlaceInput } from '../../orders/intake-rules.ts'
import { closeSlaQueue } from '../../orders/sla-timer.ts'
import { createTestDatabase, type TestDatabase } from './pg.ts'
import { createTestRedis } from './redis.ts'
import { importSample, testServices } from './sample-services.ts'

export interface OrdersDistrict {
  t: TestDatabase
  services: Services
  /** The group with `topic` and its unit, as the chat pipeline would hand them over. */
  group(topic: string): Promise<{ id: number; unitId: number }>
  /** A 点单 typed in `topic`, by a fresh resident each time unless given, so the pace limit only bites where meant. */
  input(topic: string, text: string, residentRef?: string): Promise<PlaceInput>
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
  let residents = 0
  const group = async (topic: string) => {
    const [row] = await t.db
      .select({ id: groups.id, unitId: groups.unitId })
      .from(groups)
      .where(eq(groups.topic, topic))
    if (!row) throw new Error(`no group ${topic}`)
    return row
  }
  return {
    t,
    services,
    group,
    async input(topic, text, residentRef) {
      const { id, unitId } = await group(topic)
      residents++
      return {
        residentRef: residentRef ?? `wxid_resident_${residents}`,
        residentName: `居民${residents}`,
        groupId: id,
        unitId,
        text,
        verb: '点单',
      }
    },
    async stop() {
      await closeSlaQueue(services)
      await services.messenger.close()
      await redis.close()
      await t.close()
    },
  }
}
