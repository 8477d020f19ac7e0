import { formatLocalTime } from '../core/local-time.ts'
import type { Services } from '../core/services.ts'
import { mayView, type NoticeActor } from './authorize.ts'
import { auditNotice, type NoticeAuditScene } from './notice-audit.ts'
import { noticeCode } from './notice-code.ts'
import { doubtfulGroups, findNotice, missedGroups, noticeProgress } from './notice-store.ts'
import { noticeTexts, receipt } from './templates.ts'

/** Failed or skipped groups listed in a chat receipt; the CLI lists them all. */
export const CHAT_MISSED_LIMIT = 10

/**
 * 回执 N12 / `quanqun notice status N12`: sent, pending, failed and skipped per tier, then the
 * groups that may have got it twice (可能重复), then the groups it did not reach with the reason. Visible to whoever may manage the notice and to
 * propagandists over its whole scope.
 */
export async function readReceipt(
  services: Services,
  opts: { id: number; actor: NoticeActor; groupId?: number | undefined; missedLimit?: number },
): Promise<{ ok: boolean; lines: string[] }> {
  const code = noticeCode(opts.id)
  const notice = await findNotice(services.db, opts.id)
  if (!notice) return { ok: false, lines: [noticeTexts.unknownNotice(code)] }
  if (!mayView(opts.actor, notice)) {
    const audit: NoticeAuditScene = {
      actor: opts.actor,
      action: 'notice.receipt',
      unitId: notice.scopeUnitId,
      groupId: opts.groupId,
    }
    await auditNotice(services.db, audit, false, { notice: code })
    return { ok: false, lines: [noticeTexts.receiptRefused(code)] }
  }
  const [progress, missed, doubtful] = await Promise.all([
    noticeProgress(services.db, opts.id),
    missedGroups(services.db, opts.id, opts.missedLimit),
    doubtfulGroups(services.db, opts.id, opts.missedLimit),
  ])
  return {
    ok: true,
    lines: receipt({
      code,
      status: notice.status,
      scopePath: notice.scopePath,
      progress,
      missed: missed.missed,
      missedTotal: missed.total,
      doubtful: doubtful.doubtful,
      doubtfulTotal: doubtful.total,
      at: notice.scheduledAt ? formatLocalTime(notice.scheduledAt, services.timezone) : undefined,
    }),
  }
}
