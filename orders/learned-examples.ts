/**
 * The district's learned examples: order texts staff moved to another category with 改类. The
 * classifier weighs them for every order of the district (classify.ts), so the phrasing that
 * was corrected lands right the next time. Rows are never deleted: forgetting one stamps it.
 */
import { and, asc, eq, isNull } from 'drizzle-orm'
import { cacheKey } from '../core/caches.ts'
import { maskPersonalData } from '../core/personal-data.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { learnedExamples } from '../db/schema/orders.ts'
import type { LearnedExample } from './classify.ts'
import type { Tx } from './order-store.ts'

// A district learns a handful a week; the newest this many are what classification reads.
const MAX_PER_DISTRICT = 2_000
// As the catalogue: a correction made through another process is seen within a minute.
const CACHE_MS = 60_000

class CachedLearned {
  private readonly byDistrict = new Map<
    number,
    { at: number; examples: Promise<LearnedExample[]> }
  >()

  constructor(private readonly db: Db) {}

  of(districtId: number): Promise<LearnedExample[]> {
    const hit = this.byDistrict.get(districtId)
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.examples
    const examples = readLearned(this.db, districtId)
    const entry = { at: Date.now(), examples }
    this.byDistrict.set(districtId, entry)
    examples.catch(() => {
      if (this.byDistrict.get(districtId) === entry) this.byDistrict.delete(districtId)
    })
    return examples
  }

  forget(): void {
    this.byDistrict.clear()
  }
}

const LEARNED = cacheKey<CachedLearned>('orders.learned-examples')

function cachedOf(services: Pick<Services, 'db' | 'caches'>): CachedLearned {
  return services.caches.of(LEARNED, () => new CachedLearned(services.db))
}

/** The district's learned examples, oldest first (cached a minute per Services). */
export function learnedFor(
  services: Pick<Services, 'db' | 'caches'>,
  districtId: number,
): Promise<LearnedExample[]> {
  return cachedOf(services).of(districtId)
}

async function readLearned(db: Db, districtId: number): Promise<LearnedExample[]> {
  return db
    .select({ categoryId: learnedExamples.categoryId, text: learnedExamples.text })
    .from(learnedExamples)
    .where(and(eq(learnedExamples.districtId, districtId), isNull(learnedExamples.forgottenAt)))
    .orderBy(asc(learnedExamples.id))
    .limit(MAX_PER_DISTRICT)
}

/**
 * Records one, in the transaction of the 改类 that taught it; returns its id. The text outlives
 * the order's retention, so it is kept without phone, ID or door numbers (they never decide a
 * category anyway).
 */
export async function learn(
  tx: Tx,
  row: { districtId: number; categoryId: number; text: string; orderId: number; createdBy: string },
): Promise<number> {
  const [inserted] = await tx
    .insert(learnedExamples)
    .values({ ...row, text: maskPersonalData(row.text) })
    .returning({ id: learnedExamples.id })
  return inserted!.id
}

/** The Services' cached copy is dropped: its next order reads the district's examples again. */
export function relearn(services: Pick<Services, 'db' | 'caches'>): void {
  cachedOf(services).forget()
}

/** Stops using one (`quanqun classify --forget <id>`); undefined when none such is in use. */
export async function forgetLearned(db: Db, id: number, by: string) {
  const [row] = await db
    .update(learnedExamples)
    .set({ forgottenAt: new Date(), forgottenBy: by })
    .where(and(eq(learnedExamples.id, id), isNull(learnedExamples.forgottenAt)))
    .returning()
  return row
}
