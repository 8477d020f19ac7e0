/**
 * Residents' personal data kept only as long as configured, and handed to them on request
 * (PIPL). Spans the orders and the audit log, so it is composed here, on the top floor.
 */
import { anonymizeAudit, auditOf } from '../audit/audit-privacy.ts'
import type { Schedule } from '../core/scheduler.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { findMemberByWechatId } from '../network/roles.ts'
import {
  anonymizeClosedOrders,
  purgeOrderAttachments,
  residentOrders,
} from '../orders/order-privacy.ts'

const DEFAULT_RETENTION_DAYS = 180
const DAY_MS = 24 * 3600 * 1000

export interface PurgeResult {
  before: Date
  orders: number
  auditLines: number
  /** Attachment files deleted (those of anonymised orders), when a data directory is given. */
  files: number
}

/** Anonymises what is past the retention; safe to run twice (both steps are idempotent). */
export async function purgePersonalData(
  db: Db,
  opts: { retentionDays?: number; now?: Date; dataDir?: string | undefined } = {},
): Promise<PurgeResult> {
  const days = opts.retentionDays ?? DEFAULT_RETENTION_DAYS
  const before = new Date((opts.now ?? new Date()).getTime() - days * DAY_MS)
  const orders = await anonymizeClosedOrders(db, before)
  const auditLines = await anonymizeAudit(db, before)
  const files = opts.dataDir === undefined ? 0 : await purgeOrderAttachments(db, opts.dataDir)
  return { before, orders, auditLines, files }
}

/** Everything quanqun holds about one WeChat id, for that person. */
export async function exportPersonalData(db: Db, wechatId: string) {
  const member = await findMemberByWechatId(db, wechatId)
  return {
    wechatId,
    member: member
      ? { name: member.name, roles: member.grants.map((g) => ({ role: g.role, unit: g.unitPath })) }
      : null,
    orders: await residentOrders(db, wechatId),
    audit: await auditOf(db, wechatId),
  }
}

export const privacySchedules: Schedule[] = [
  {
    name: 'privacy-purge',
    // 03:30 every night, when nobody orders. Two schedulers running it is harmless: it is
    // idempotent set-based SQL, so it runs in the tick instead of through a queue.
    cron: '30 3 * * *',
    run: async (services: Services, tick) => {
      const result = await purgePersonalData(services.db, {
        now: tick,
        dataDir: services.dataDir,
        ...(services.retentionDays === undefined ? {} : { retentionDays: services.retentionDays }),
      })
      services.log.info(result, 'personal data past retention anonymised')
    },
  },
]
