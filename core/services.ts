import type { Db } from '../db/client.ts'
import type { RedisClient } from '../queues/connection.ts'
import type { Messenger } from '../queues/messenger.ts'
import type { Caches } from './caches.ts'
import type { Config } from './config.ts'
import type { Logger } from './logger.ts'
import type { OrderOptions } from './order-options.ts'

/**
 * What domain code may use, built once by the entry point and passed down: storage, the queue
 * connection and prefix, the messenger (says into any room through its account's paced queue),
 * the clock (tests and the demo move it) and the process's caches.
 */
export interface Services {
  db: Db
  log: Logger
  connection: RedisClient
  queuePrefix: string
  messenger: Messenger
  timezone: Config['timezone']
  now: () => Date
  /** Days closed orders keep residents' personal data (PRIVACY_RETENTION_DAYS; 180 when unset). */
  retentionDays?: number
  /** What the process keeps between calls: look-up caches and write batchers. */
  caches: Caches
  /** DATA_DIR: where residents' pictures are kept (orders/attachments.ts); unset keeps none. */
  dataDir?: string
  /** Settings of the service loop over their defaults (the demo and tests shorten SLAs). */
  orders?: Partial<OrderOptions>
  /**
   * The signature line under every notice (NOTICE_SIGNATURE), the reminders before an event
   * (NOTICE_REMINDERS), auto-pause, a picture's size cap and 撤回's window; broadcasts/ has the
   * defaults.
   */
  notices?: {
    signature?: string
    reminderOffsetsMs?: readonly number[]
    /** NOTICE_AUTO_PAUSE_*: when a notice pauses itself for its failed sends (pause-notice.ts). */
    autoPause?: { failures: number; ratio: number }
    /** NOTICE_ATTACHMENT_MAX_MB in bytes (broadcasts/notice-attachments.ts has the default). */
    attachmentMaxBytes?: number
    /** NOTICE_RECALL_WINDOW_S in ms (broadcasts/recall-notice.ts has the default). */
    recallWindowMs?: number
  }
  /**
   * The staff console's address, for the login links the bot sends (unset: no console). One
   * object shared by every copy of Services (each bot account holds one), so a console started
   * on a port picked at start can fill it in afterwards.
   */
  staffConsole?: { url?: string }
  /** 双人审核: scope tiers whose notices need a second member's approval (none when unset). */
  noticeApprovalTiers?: readonly number[]
}
