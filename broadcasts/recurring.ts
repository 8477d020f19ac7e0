import type { GroupKind, Tier } from '../network/types.ts'
import { recurringTexts } from './templates.ts'

/**
 * A notice that goes out on a cron, as data. Defined by whoever runs the deployment, so it needs
 * no 确认: each tick creates the notice and confirms it at once, with the author
 * `schedule:<name>` in the audit log.
 */
export interface RecurringNotice {
  /** Stable: it is part of every tick's dedupe key ("weekly-visit:2025-06-02T01:00:00.000Z"). */
  name: string
  cron: string
  /** IANA zone; the configured TIMEZONE when absent. */
  timezone?: string
  /** A unit path; absent means the top of every tree in the database (each district). */
  scope?: string
  tiers?: readonly Tier[]
  kinds?: readonly GroupKind[]
  text: string
}

/**
 * Rongchang's "one visit a week, one review a quarter" and Banan's month-end collection of next
 * month's activity plans. Staff and worker groups only: these organise the work, residents get
 * the resulting activity notices.
 */
export const recurringNotices: readonly RecurringNotice[] = [
  {
    name: 'weekly-visit',
    cron: '0 9 * * 1', // Mondays 09:00
    kinds: ['workers', 'staff'],
    text: recurringTexts.weeklyVisit,
  },
  {
    name: 'month-end-plan',
    cron: '0 9 25 * *', // the 25th, leaving a working week before the month ends
    kinds: ['workers', 'staff'],
    text: recurringTexts.monthEndPlan,
  },
  {
    name: 'quarterly-review',
    cron: '0 9 20 3,6,9,12 *', // the 20th of each quarter's last month
    kinds: ['workers', 'staff'],
    text: recurringTexts.quarterlyReview,
  },
]
