import { setTimeout as sleep } from 'node:timers/promises'
import { DelayedError, Queue, RateLimitError, UnrecoverableError, Worker } from 'bullmq'
import type { Logger } from '../core/logger.ts'
import type { RedisClient } from './connection.ts'
import {
  messageOf,
  type OutboundMessage,
  OutboundMessageSchema,
  type OutboundPage,
  OutboundPageSchema,
  type PageEntry,
  priorityOf,
} from './outbound-message.ts'
import { type PacingRules, SendLog } from './pacing.ts'
import { PacingStore } from './pacing-store.ts'
import { PageProgress } from './page-progress.ts'
import { payloadOf } from './payload.ts'
import { HoldError, InfrastructureError } from './send-failures.ts'
import type { Upcoming } from './send-hooks.ts'
import {
  holdOnlyLimiter,
  INLINE_WAIT_MAX_MS,
  type InfrastructureBackoff,
  infrastructureBackoff,
  PAGE_TURN_MS,
  SAY_JOB,
  SAY_PAGE_JOB,
  type SendJobName,
} from './send-options.ts'
import { pageProgress, type SendJob, type SendJobData, sendQueueName } from './send-queue.ts'
import { type Takeover, takeoverOptions } from './takeover.ts'
import { errorText, isThrottleSignal } from './throttle.ts'

const NOTHING_NEXT: Upcoming = () => []

export interface SendWorkerOptions extends Takeover {
  connection: RedisClient
  prefix: string
  account: string
  /** PacingConfig, optionally with a shorter window (see pacing.ts). */
  pacing: PacingRules & { cooldownMs: number }
  /**
   * Says one message through the live puppet; a throw is retried, a throttling throw pauses.
   * `next(n)` gives the (at most n) messages its page says after it; none outside a page.
   */
  say: (msg: OutboundMessage, next: Upcoming) => Promise<void>
  log: Logger
  /** Told when the account starts (or extends) a cool-down: e.g. to mark the bot account. */
  onCooldown?: (untilMs: number, reason: string) => void | Promise<void>
  /** Source of the jitter, [0, 1); Math.random unless a test pins it. */
  random?: () => number
  /** The put-back while hooks cannot reach their infrastructure; send-options.ts by default. */
  infrastructureBackoff?: InfrastructureBackoff
}

export interface SendWorker {
  readonly worker: Worker<SendJobData, void, SendJobName>
  /**
   * Pauses the whole account for `ms` (never shortening a longer pause already running); the bot
   * calls it when a room shows a throttling system message. Resolves to the end of the pause (ms).
   */
  coolDown(ms: number, reason: string): Promise<number>
  /** End of the current cool-down in ms since the epoch, or 0. */
  readonly cooldownUntil: number
  /** Lets the job in hand finish, then stops. The connection stays open: it is the caller's. */
  close(): Promise<void>
}

/**
 * The one consumer of an account's send queue, run by the process holding the account's puppet.
 *
 * How a job goes out (concurrency 1, so jobs are looked at one by one, highest priority first):
 * - cooling down → the job goes back to waiting at the head of its priority, the account is held;
 * - its room is still inside the room gap and the account would be free earlier → the job is
 *   parked as delayed until the room is free, and the next job (another room) gets its turn;
 * - the account must wait (window cap, gap + jitter) → a short wait is slept, a long one puts the
 *   job back and holds the account, so a reply queued meanwhile still goes first;
 * - `say` throws a throttling error → cool-down, the job goes back; any other throw → BullMQ
 *   retries with backoff; a payload that fails the schema → failed at once, never retried;
 * - a hook throws InfrastructureError (PostgreSQL or Redis unavailable; nothing was said) → the
 *   job is parked as delayed, by as long as the outage has lasted (capped), without using an
 *   attempt: an outage of any length leaves it waiting, never failed;
 * - a hook throws HoldError (its notice paused; nothing was said) → the job is parked as delayed
 *   for the hold's time, no attempt used, a page where it stopped.
 *
 * A page job (OutboundPage) goes through the same steps room by room. Its progress, the count of
 * rooms done (said, skipped by a hook, or handed on), is written to the job behind each room
 * (PageProgress), so a page put back, parked, retried or taken over after a crash goes on where it
 * stopped. A room whose say throws is handed to a job of its own with the page's retry options,
 * so one bad room neither holds the page nor uses its attempts. After PAGE_TURN_MS the page goes
 * back to the queue, letting a reply queued meanwhile go first.
 *
 * A parked job rejoins the queue behind the jobs of its priority queued meanwhile, so order
 * within one room is usual but not promised (priorities already reorder a room's messages).
 * Parked jobs wake up to ~100 ms late (Redis times blocking calls with its 10 Hz clock).
 */
export function createSendWorker(opts: SendWorkerOptions): SendWorker {
  const { account, pacing, say, onCooldown } = opts
  const random = opts.random ?? Math.random
  const name = sendQueueName(account)
  const log = opts.log.child({ account, queue: name })
  const sendLog = new SendLog(pacing)
  // A previous owner's sends (this account's process died, or moved): pacing goes on from them.
  const store = new PacingStore(opts.connection, opts.prefix, account)
  const restored = store.load(sendLog).then(
    (snapshot) => sendLog.restore(snapshot),
    (err: unknown) => log.warn({ err }, 'pacing state not read: starting from none'),
  )
  const remember = (roomId: string, at: number) => {
    sendLog.record(roomId, at)
    store.add(sendLog, roomId, at).catch((err: unknown) => log.warn({ err }, 'pacing not saved'))
  }
  if (!Number.isFinite(pacing.cooldownMs) || pacing.cooldownMs < 0) {
    throw new RangeError(`pacing: cooldownMs must be a number >= 0, got ${pacing.cooldownMs}`)
  }

  // Used only to set the queue's limiter key: the documented way to hold the account.
  const holder = new Queue(name, { connection: opts.connection, prefix: opts.prefix })
  holder.on('error', (err) => log.error({ err }, 'send queue connection error'))

  let cooldownUntil = 0
  const infra = opts.infrastructureBackoff ?? infrastructureBackoff
  /** When hooks first failed to reach their infrastructure since the last say that went through. */
  let outageSince: number | undefined
  // One jitter roll per send: waking up early and asking again must not roll again, or the gap
  // would drift towards minGap + jitterMs.
  let jitterRoll = random()
  const jitter = () => jitterRoll

  // Limiter writes are chained so a short pacing hold can never land after, and cut, a cool-down.
  let holds: Promise<void> = Promise.resolve()
  const holdAccount = (ms: number): Promise<void> => {
    const next = holds.then(async () => {
      const until = Math.max(Date.now() + ms, cooldownUntil)
      const remaining = Math.ceil(until - Date.now())
      if (remaining > 0) await holder.rateLimit(remaining)
    })
    holds = next.catch(() => {})
    return next
  }

  const coolDown = async (ms: number, reason: string): Promise<number> => {
    const until = Date.now() + Math.max(ms, 0)
    const extended = until > cooldownUntil
    if (extended) cooldownUntil = until
    await holdAccount(0)
    if (extended) {
      log.warn({ until: new Date(until).toISOString(), ms, reason }, 'account cooling down')
      try {
        await onCooldown?.(until, reason)
      } catch (err) {
        log.error({ err, reason }, 'onCooldown failed')
      }
    }
    return cooldownUntil
  }

  const putBack = async (ms: number): Promise<never> => {
    await holdAccount(ms)
    // RateLimitError: BullMQ moves the job back to waiting (head of its priority) without using
    // an attempt, and stops fetching until the limiter key expires.
    throw new RateLimitError()
  }

  /**
   * Waits for the slot pacing gives `roomId`, inline when it is close; otherwise the job goes back
   * to the queue or is parked, by throwing what BullMQ expects for that.
   */
  const awaitSlot = async (
    job: SendJob,
    token: string | undefined,
    roomId: string,
    ctx: object,
  ) => {
    await restored
    const now = Date.now()
    if (cooldownUntil > now) return putBack(0)
    const slot = sendLog.slot(roomId, now, jitter)
    if (slot.roomAt > slot.accountAt) {
      // Only this room is blocked: park the job instead of making every other room wait.
      log.debug({ ...ctx, until: slot.roomAt }, 'room gap: job delayed')
      await job.moveToDelayed(slot.roomAt, token)
      throw new DelayedError()
    }
    if (slot.at - now > INLINE_WAIT_MAX_MS) return putBack(slot.at - now)
    // Timers may fire a millisecond early; the window guarantee needs "not before".
    for (let wait = slot.at - Date.now(); wait > 0; wait = slot.at - Date.now()) await sleep(wait)
    if (cooldownUntil > Date.now()) return putBack(0)
  }

  /**
   * The job goes back as delayed, keeping its attempts (and a page its progress), because a hook
   * could not reach PostgreSQL or Redis. The delay grows with the outage: retries thin out.
   */
  const parkForOutage = async (
    job: SendJob,
    token: string | undefined,
    error: InfrastructureError,
    ctx: object,
  ): Promise<never> => {
    const now = Date.now()
    outageSince ??= now
    const ms = Math.min(infra.maxMs, Math.max(infra.firstMs, now - outageSince))
    log.warn({ ...ctx, err: error, ms }, 'infrastructure unavailable: job parked, no attempt used')
    await job.moveToDelayed(now + ms, token)
    throw new DelayedError()
  }

  /** The job waits out a hold (HoldError) where it stopped, keeping its attempts. */
  const parkForHold = async (
    job: SendJob,
    token: string | undefined,
    hold: HoldError,
    ctx: object,
  ): Promise<never> => {
    // Debug: a paused notice's pages park again every hold, each of them.
    log.debug({ ...ctx, ms: hold.ms, why: hold.message }, 'send on hold: job parked')
    await job.moveToDelayed(Date.now() + hold.ms, token)
    throw new DelayedError()
  }

  /** Says one message in its slot; a throttled say cools the account down and puts the job back. */
  const sayInSlot = async (msg: OutboundMessage, next: Upcoming, ctx: object) => {
    try {
      await say(msg, next)
    } catch (error) {
      // Nothing was said (a hook before the say could not reach its infrastructure, or held it).
      if (error instanceof InfrastructureError || error instanceof HoldError) throw error
      // A refused send still counts: WeChat may have seen it, and counting errs on the safe side.
      remember(msg.roomId, Date.now())
      jitterRoll = random()
      const text = errorText(error)
      if (isThrottleSignal(text)) {
        await coolDown(pacing.cooldownMs, `say: ${text}`)
        log.warn({ ...ctx, err: error }, 'say throttled, job kept for after the cool-down')
        return putBack(0)
      }
      throw error
    }
    outageSince = undefined
    // Recorded when say returns, not when it started: later is the safe side for every limit.
    remember(msg.roomId, Date.now())
    jitterRoll = random()
    log.debug(ctx, 'said')
  }

  const sendOne = async (job: SendJob, token?: string): Promise<void> => {
    const msg = payloadOf(OutboundMessageSchema, job.data)
    const ctx = { room: msg.roomId, jobId: job.id, kind: msg.kind, ref: msg.ref }
    await awaitSlot(job, token, msg.roomId, ctx)
    try {
      await sayInSlot(msg, NOTHING_NEXT, { ...ctx, attempt: job.attemptsMade + 1 })
    } catch (error) {
      if (error instanceof InfrastructureError) return parkForOutage(job, token, error, ctx)
      if (error instanceof HoldError) return parkForHold(job, token, error, ctx)
      throw error
    }
  }

  /** A page's room whose say threw, as a job of its own: retried with the page's backoff. */
  const retryAlone = async (job: SendJob, page: OutboundPage, entry: PageEntry, err: unknown) => {
    const msg = messageOf(page, entry)
    const { attempts = 1, backoff, removeOnComplete, removeOnFail } = job.opts
    // The failed say was its first attempt.
    const delay = backoff === undefined ? 0 : typeof backoff === 'number' ? backoff : backoff.delay
    await holder.add(SAY_JOB, msg, {
      priority: priorityOf(msg),
      attempts: Math.max(1, attempts - 1),
      ...(backoff === undefined ? {} : { backoff }),
      ...(delay ? { delay } : {}),
      ...(removeOnComplete === undefined ? {} : { removeOnComplete }),
      ...(removeOnFail === undefined ? {} : { removeOnFail }),
      ...(entry.jobId === undefined ? {} : { jobId: entry.jobId }),
    })
    log.warn(
      { room: msg.roomId, page: job.id, jobId: entry.jobId, err },
      'send failed, retried alone',
    )
  }

  const sendPage = async (job: SendJob, token?: string): Promise<void> => {
    const page = payloadOf(OutboundPageSchema, job.data)
    const messages = page.to.map((entry) => messageOf(page, entry))
    const turnEnds = Date.now() + PAGE_TURN_MS
    let done = pageProgress(job.progress, page)
    const progress = new PageProgress(job, done)
    try {
      for (const first = done; done < messages.length; ) {
        if (done > first && Date.now() >= turnEnds) return await putBack(0)
        const msg = messages[done]!
        const ctx = { room: msg.roomId, jobId: job.id, kind: msg.kind, ref: msg.ref, at: done }
        await awaitSlot(job, token, msg.roomId, ctx)
        try {
          const after = done + 1
          await sayInSlot(msg, (n) => messages.slice(after, after + n), ctx)
        } catch (error) {
          if (error instanceof RateLimitError) throw error
          // The page waits out the outage where it stopped: this room was not said.
          if (error instanceof InfrastructureError)
            return await parkForOutage(job, token, error, ctx)
          if (error instanceof HoldError) return await parkForHold(job, token, error, ctx)
          await retryAlone(job, page, page.to[done]!, error)
        }
        progress.set(++done)
      }
    } finally {
      await progress.flush()
    }
  }

  const worker = new Worker<SendJobData, void, SendJobName>(
    name,
    (job, token) => {
      switch (job.name) {
        case SAY_JOB:
          return sendOne(job, token)
        case SAY_PAGE_JOB:
          return sendPage(job, token)
        default:
          throw new UnrecoverableError(`unknown job name "${job.name}"`)
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      // One send at a time per account: pacing is a sequence, and the puppet is one phone.
      concurrency: 1,
      limiter: holdOnlyLimiter,
      ...takeoverOptions(opts),
    },
  )
  worker.on('error', (err) => log.error({ err }, 'send worker error'))
  worker.on('failed', (job, err) => {
    const attempts = job?.opts.attempts ?? 1
    const final =
      job === undefined || err instanceof UnrecoverableError || job.attemptsMade >= attempts
    const fields = {
      err,
      jobId: job?.id,
      room: job && 'roomId' in job.data ? job.data.roomId : undefined,
      attemptsMade: job?.attemptsMade,
      attempts,
    }
    if (final) log.error(fields, 'send failed for good')
    else log.warn(fields, 'send failed, will retry')
  })

  return {
    worker,
    coolDown,
    get cooldownUntil() {
      return cooldownUntil > Date.now() ? cooldownUntil : 0
    },
    async close() {
      // A worker closed before its connections are up rejects their connect() unhandled (an
      // account whose puppet failed at once is closed within milliseconds of starting).
      await Promise.all([worker.waitUntilReady(), holder.waitUntilReady()]).catch(() => {})
      await worker.close()
      await holds
      await holder.close()
    },
  }
}
