/**
 * SLA arithmetic, pure: how long a step may take and when it runs out. Durations come from the
 * catalogue in minutes and are multiplied by `slaScale` (1 in production, tiny in tests).
 */
import type { Step } from './state-machine.ts'

export interface SlaMinutes {
  acceptSlaMinutes: number
  completeSlaMinutes: number
}

export function slaMinutes(category: SlaMinutes, step: Step): number {
  return step === 'accept' ? category.acceptSlaMinutes : category.completeSlaMinutes
}

export function slaMs(category: SlaMinutes, step: Step, scale: number): number {
  // At least 1 ms: a zero delay would race the transaction that armed it.
  return Math.max(1, Math.round(slaMinutes(category, step) * 60_000 * scale))
}

export function dueAtFor(now: Date, step: Step, category: SlaMinutes, scale: number): Date {
  return new Date(now.getTime() + slaMs(category, step, scale))
}

export function isOverdue(dueAt: Date | null, now: Date): boolean {
  return dueAt !== null && dueAt.getTime() <= now.getTime()
}

/**
 * The SLA job of one step of one order: deterministic, so arming twice collapses into one job.
 * The due time is part of the id because a step can restart at the same level (a re-dispatch,
 * a return): a new clock must be a new job, not a no-op against the finished old one.
 */
export function slaJobId(code: string, step: Step, level: number, dueAt: Date): string {
  return `sla-${code}-${step}-${level}-${dueAt.getTime()}`
}
