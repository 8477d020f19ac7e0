/**
 * SLA arithmetic, pure: how long a step may take and when it runs out. Accept and complete come
 * from the catalogue, the wait for a rating from the options; all in minutes, multiplied by
 * `slaScale` (1 in production, tiny in tests).
 */
import type { Step } from './state-machine.ts'

export interface SlaMinutes {
  acceptSlaMinutes: number
  completeSlaMinutes: number
}

export interface SlaSettings {
  slaScale: number
  rateWaitMinutes: number
}

export function slaMinutes(category: SlaMinutes, step: Step, rateWaitMinutes = 0): number {
  switch (step) {
    case 'accept':
      return category.acceptSlaMinutes
    case 'complete':
      return category.completeSlaMinutes
    case 'rate':
      return rateWaitMinutes
  }
}

function slaMs(category: SlaMinutes, step: Step, settings: SlaSettings): number {
  const minutes = slaMinutes(category, step, settings.rateWaitMinutes)
  // At least 1 ms: a zero delay would race the transaction that armed it.
  return Math.max(1, Math.round(minutes * 60_000 * settings.slaScale))
}

export function dueAtFor(now: Date, step: Step, category: SlaMinutes, settings: SlaSettings): Date {
  return new Date(now.getTime() + slaMs(category, step, settings))
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
