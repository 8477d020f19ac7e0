import type { GroupWithUnit, Tier, TierCounts } from '../network/types.ts'
import { emptyTierCounts } from '../network/types.ts'

/** One delivery row to write: the outbox holds one per (notice, group). */
interface PlannedDelivery {
  groupId: number
  tier: Tier
  botAccountId: number | null
}

export interface AudiencePlan {
  deliveries: PlannedDelivery[]
  total: number
  perTier: TierCounts
  /**
   * Groups the bot cannot say anything in right now (inactive, no room yet, no account). They keep
   * their delivery row, so the receipt shows them as skipped with the reason, and a bot re-added
   * before 确认 still reaches them.
   */
  unreachable: number
}

/** Whether a bot can currently say into the group, and if not why (a skip reason key). */
export type Reachability = 'ok' | 'inactive' | 'unbound' | 'noAccount'

export function reachabilityOf(
  group: Pick<GroupWithUnit, 'active' | 'roomId' | 'botAccountId'>,
): Reachability {
  if (group.botAccountId === null) return 'noAccount'
  if (group.roomId === null) return 'unbound'
  if (!group.active) return 'inactive'
  return 'ok'
}

/** The audience of a notice from its subtree's groups: pure, so previews are unit-tested. */
export function planAudience(groups: readonly GroupWithUnit[]): AudiencePlan {
  const perTier = emptyTierCounts()
  const deliveries: PlannedDelivery[] = []
  const seen = new Set<number>()
  let unreachable = 0
  for (const g of groups) {
    // subtreeGroups never repeats a group; the guard keeps the unique index from failing the
    // whole transaction if a caller ever concatenates two audiences.
    if (seen.has(g.id)) continue
    seen.add(g.id)
    const tier = g.tier as Tier
    perTier[tier]++
    if (reachabilityOf(g) !== 'ok') unreachable++
    deliveries.push({ groupId: g.id, tier, botAccountId: g.botAccountId })
  }
  return { deliveries, total: deliveries.length, perTier, unreachable }
}

/** Rows by key, each list in the rows' order (Map.groupBy, which Node 20 lacks). */
export function groupBy<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const row of rows) {
    const k = key(row)
    const list = groups.get(k)
    if (list) list.push(row)
    else groups.set(k, [row])
  }
  return groups
}

/** Splits rows into statements of at most `size` rows (multi-row INSERT, ~1,000 rows each). */
export function chunk<T>(rows: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be >= 1: ${size}`)
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}
