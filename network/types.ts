import type { GroupKind, groups, Role, units } from '../db/schema/network.ts'

export type { GroupKind, Role }

export type Unit = typeof units.$inferSelect
type Group = typeof groups.$inferSelect
export type UnitBody = NonNullable<Unit['body']>

/** 1 区 district, 2 街道/镇 township (or department), 3 社区/村, 4 网格, 5 楼栋. */
export type Tier = 1 | 2 | 3 | 4 | 5
export const TIERS: readonly Tier[] = [1, 2, 3, 4, 5]
export const MAX_TIER = 5

/** A group with the tier and path of the unit it is bound to, as audience lists need them. */
export type GroupWithUnit = Group & { tier: number; unitPath: string }

export type TierCounts = Record<Tier, number>

export function emptyTierCounts(): TierCounts {
  return { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 }
}
