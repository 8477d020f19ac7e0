import type { Services } from '../core/services.ts'
import type { Tier } from '../network/types.ts'
import { createFanoutQueue, enqueueFanout, type FanoutQueue } from '../queues/fanout-queue.ts'
import type { SendQueues } from '../queues/send-queues.ts'
import { enqueueDeliveries } from './delivery-jobs.ts'
import { pendingOfTier, settleTierAudience } from './delivery-store.ts'
import { noticeContent } from './notice-attachments.ts'
import { noticeCode } from './notice-code.ts'
import { findNotice, type Notice, noticeTiers } from './notice-store.ts'
import { reportProgress } from './progress.ts'

/** Deliveries read per query while fanning out a tier (8,000 buildings → 4 reads). */
const PAGE = 2_000

export interface TierQueued {
  noticeId: number
  tier: Tier
  queued: number
  skipped: number
}

export interface FanoutDeps {
  services: Services
  sendQueues: SendQueues
  fanoutQueue: FanoutQueue
  /**
   * Told after a tier's sends are queued and before the next tier's job is: for logs and metrics,
   * and the seam a fault test uses to kill the worker in the middle of a fan-out.
   */
  onTierQueued?: (event: TierQueued) => void | Promise<void>
}

/**
 * One step of the walk down the tree: the tier's unreachable groups are skipped with the reason,
 * its pending deliveries queued on their accounts' send queues (one bulk add per account and 500
 * jobs), then the next tier's job is added. Every step is idempotent, so a re-run after a killed
 * worker only re-adds job ids already in Redis (which collapse) or sends nothing twice (the send
 * hook checks the delivery row).
 */
export async function fanOutTier(deps: FanoutDeps, noticeId: number, tier: Tier): Promise<void> {
  const { services } = deps
  const code = noticeCode(noticeId)
  const notice = await findNotice(services.db, noticeId)
  // A paused notice's pages are queued all the same: they park at their first room (the send
  // hook holds them) until it is resumed, so the resume has nothing to re-plan.
  if (notice?.status !== 'confirmed' && notice?.status !== 'paused') {
    services.log.info({ notice: code, tier, status: notice?.status }, 'fan-out: not confirmed')
    return
  }
  const skipped = await settleTierAudience(services.db, noticeId, tier)
  let queued = 0
  const content = await noticeContent(services, notice)
  for (let after = 0; ; ) {
    const rows = await pendingOfTier(services.db, noticeId, tier, after, PAGE)
    if (rows.length === 0) break
    queued += await enqueueDeliveries(deps.sendQueues, rows, content)
    after = rows[rows.length - 1]!.id
  }
  services.log.info({ notice: code, tier, queued, skipped }, 'fan-out: tier queued')
  // A tier whose groups were all skipped has no send to report its completion.
  if (queued === 0) await reportProgress(services, noticeId, tier)
  await deps.onTierQueued?.({ noticeId, tier, queued, skipped })
  const next = (await noticeTiers(services.db, noticeId)).find((t) => t > tier)
  if (next !== undefined) await enqueueFanout(deps.fanoutQueue, { noticeId, tier: next })
}

/**
 * Starts the walk at the notice's top tier, delayed to its scheduled time. Failing to reach Redis
 * here is not fatal: the notice is confirmed in PostgreSQL and the reconciler queues it.
 */
export async function startFanout(services: Services, notice: Notice): Promise<boolean> {
  const [first] = await noticeTiers(services.db, notice.id)
  if (first === undefined) return true
  const delayMs = notice.scheduledAt ? notice.scheduledAt.getTime() - services.now().getTime() : 0
  const queue = createFanoutQueue({ connection: services.connection, prefix: services.queuePrefix })
  try {
    await enqueueFanout(queue, { noticeId: notice.id, tier: first }, { delayMs })
    return true
  } catch (err) {
    services.log.error(
      { err, notice: noticeCode(notice.id) },
      'fan-out not queued; reconciler will',
    )
    return false
  } finally {
    await queue.close().catch(() => {})
  }
}
