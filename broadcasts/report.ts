import type { DeliveryStatus } from '../db/schema/broadcasts.ts'
import { TIERS, type Tier } from '../network/types.ts'

/** Where the deliveries of one tier stand. `pending` counts queued and in-flight sends alike. */
export interface TierProgress {
  tier: Tier
  total: number
  sent: number
  pending: number
  failed: number
  skipped: number
}

export type Totals = Omit<TierProgress, 'tier'>

export interface NoticeProgress {
  /** Only the tiers the notice reaches, top down. */
  tiers: TierProgress[]
  totals: Totals
}

/** A group that did not get the notice, for the receipt. */
export interface MissedGroup {
  topic: string
  tier: Tier
  status: 'failed' | 'skipped'
  reason: string | null
}

/** A group that got the notice and may have got it more than once (回执's 可能重复). */
export interface DoubtfulGroup {
  topic: string
  tier: Tier
  /** Copies sent after one whose outcome was unknown. */
  uncertain: number
}

const emptyTotals = (): Totals => ({ total: 0, sent: 0, pending: 0, failed: 0, skipped: 0 })

/** Folds `count(*) group by tier, status` rows into per-tier progress. */
export function summarize(
  rows: readonly { tier: number; status: DeliveryStatus; n: number }[],
): NoticeProgress {
  const byTier = new Map<Tier, TierProgress>()
  const totals = emptyTotals()
  for (const row of rows) {
    const tier = row.tier as Tier
    let t = byTier.get(tier)
    if (!t) {
      t = { tier, ...emptyTotals() }
      byTier.set(tier, t)
    }
    const n = Number(row.n)
    const key = row.status === 'sending' ? 'pending' : row.status
    t[key] += n
    t.total += n
    totals[key] += n
    totals.total += n
  }
  return { tiers: TIERS.flatMap((tier) => byTier.get(tier) ?? []), totals }
}

/** Nothing left to send: every delivery is sent, failed or skipped. */
export function isFinished(p: Pick<Totals, 'pending'>): boolean {
  return p.pending === 0
}
