import { Batcher } from '../core/batcher.ts'
import { cacheKey } from '../core/caches.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { chainsFrom, readChains } from './queries.ts'
import type { Unit } from './types.ts'

/**
 * Unit chains are read on every order and notice. A unit's id, path and tier never change (the
 * import upserts by path and deletes nothing), so a chain stays right; only a re-imported
 * `body` can age, for at most CHAIN_CACHE_MS.
 */
const CHAIN_CACHE_MS = 60_000

type CachedChain = { at: number; chain: Promise<Unit[]> }

const isFresh = (hit: CachedChain | undefined, now: number): hit is CachedChain =>
  hit !== undefined && now - hit.at < CHAIN_CACHE_MS

/** The process's unit chains: cached, and those not cached read together. */
export class UnitChains {
  private readonly byUnit = new Map<number, CachedChain>()
  /** Orders arriving at once from many buildings share one statement for their chains. */
  private readonly reads: Batcher<number, Unit[]>

  constructor(db: Db) {
    this.reads = new Batcher((ids) => readChains(db, ids))
  }

  /** The unit itself first, then its parent, and so on up to the district. */
  of(unitId: number): Promise<Unit[]> {
    const hit = this.byUnit.get(unitId)
    if (isFresh(hit, Date.now())) return hit.chain
    const chain = this.reads.load(unitId)
    const entry = { at: Date.now(), chain }
    this.byUnit.set(unitId, entry)
    // Failures and unknown units are not kept: the unit may be imported a moment later.
    const drop = () => {
      if (this.byUnit.get(unitId) === entry) this.byUnit.delete(unitId)
    }
    chain.then((units) => units.length === 0 && drop(), drop)
    return chain
  }

  /**
   * Keeps the chains of `own` units, read along with something else (the bot's look-up of the
   * rooms of messages, senders.ts): `found` holds those units and their ancestors. Chains already
   * cached are left as they are.
   */
  remember(found: readonly Unit[], own: readonly number[]): void {
    const now = Date.now()
    for (const [unitId, chain] of chainsFrom(found, own)) {
      if (chain.length > 0 && !isFresh(this.byUnit.get(unitId), now)) {
        this.byUnit.set(unitId, { at: now, chain: Promise.resolve(chain) })
      }
    }
  }
}

const UNIT_CHAINS = cacheKey<UnitChains>('network.unit-chains')

export function unitChainsOf(services: Pick<Services, 'db' | 'caches'>): UnitChains {
  return services.caches.of(UNIT_CHAINS, () => new UnitChains(services.db))
}
