import type { PacingConfig } from '../../core/config.ts'

/**
 * Messages an account sends per minute at most: the cap, or fewer when the minimum gap plus the
 * average jitter is the tighter limit (1.5 s + 0.5 s allows 30).
 */
export function sendsPerMinute(pacing: Pick<PacingConfig, 'perMinute' | 'minGapMs' | 'jitterMs'>) {
  const gap = pacing.minGapMs + pacing.jitterMs / 2
  return gap > 0 ? Math.min(pacing.perMinute, 60_000 / gap) : pacing.perMinute
}

/**
 * Minutes a notice takes under current pacing: accounts send in parallel, each its own groups
 * at its own cap, so the busiest account sets the time (groups ÷ accounts × cap when even).
 */
export function estimateMinutes(
  perAccount: readonly { groups: number }[],
  pacing: Pick<PacingConfig, 'perMinute' | 'minGapMs' | 'jitterMs'>,
): number {
  const busiest = Math.max(0, ...perAccount.map((a) => a.groups))
  return busiest / sendsPerMinute(pacing)
}

/** "约 3 分钟", "不到 1 分钟", "约 2 小时 5 分钟". */
export function durationText(minutes: number): string {
  if (minutes < 1) return '不到 1 分钟'
  const m = Math.ceil(minutes)
  return m < 60 ? `约 ${m} 分钟` : `约 ${Math.floor(m / 60)} 小时 ${m % 60} 分钟`
}
