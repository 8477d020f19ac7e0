import { UnrecoverableError, Worker } from 'bullmq'
import type { Logger } from '../core/logger.ts'
import type { RedisClient } from './connection.ts'
import {
  FANOUT_JOB,
  FANOUT_QUEUE,
  type FanoutJob,
  type FanoutPayload,
  FanoutPayloadSchema,
} from './fanout-queue.ts'
import { payloadOf } from './payload.ts'
import { type Takeover, takeoverOptions } from './takeover.ts'

export interface FanoutWorkerOptions extends Takeover {
  connection: RedisClient
  prefix: string
  log: Logger
  /** Does one tier; a throw is retried with backoff (fan-out is idempotent). */
  process: (payload: FanoutPayload, job: FanoutJob) => Promise<void>
  /** Tiers fanned out at once across notices; each is a few bulk adds. */
  concurrency?: number
}

export type FanoutWorker = Worker<FanoutPayload, void, typeof FANOUT_JOB>

/** Consumes the fan-out queue; validates every payload, refuses unknown job names for good. */
export function createFanoutWorker(opts: FanoutWorkerOptions): FanoutWorker {
  const log = opts.log.child({ queue: FANOUT_QUEUE })
  const worker = new Worker<FanoutPayload, void, typeof FANOUT_JOB>(
    FANOUT_QUEUE,
    async (job) => {
      if (job.name !== FANOUT_JOB) throw new UnrecoverableError(`unknown job name "${job.name}"`)
      await opts.process(payloadOf(FanoutPayloadSchema, job.data), job)
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency ?? 4,
      // A killed worker's tier is re-run by another one; re-running is harmless, so allow it
      // several times before BullMQ gives the job up as stalled for good.
      maxStalledCount: 5,
      ...takeoverOptions(opts),
    },
  )
  worker.on('error', (err) => log.error({ err }, 'fan-out worker error'))
  worker.on('failed', (job, err) => {
    const data = job?.data as Partial<FanoutPayload> | undefined
    log.error(
      {
        err,
        jobId: job?.id,
        notice: data?.noticeId,
        tier: data?.tier,
        attempts: job?.attemptsMade,
      },
      'fan-out job failed',
    )
  })
  return worker
}
