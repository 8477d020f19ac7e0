import { DelayedError, UnrecoverableError, Worker } from 'bullmq'
import type { Logger } from '../core/logger.ts'
import type { RedisClient } from './connection.ts'
import { payloadOf } from './payload.ts'
import { SLA_JOBS, SLA_QUEUE, type SlaJobName } from './sla-options.ts'
import {
  type AskExpired,
  AskExpiredSchema,
  type Digest,
  DigestSchema,
  type StepDue,
  StepDueSchema,
  type Sweep,
  SweepSchema,
} from './sla-queue.ts'

/** What the domain does for each job; a throw is retried with backoff. */
interface SlaProcessors {
  /** Returns `retryAt` (ms) when the step is not due yet by the domain's clock. */
  stepDue(payload: StepDue): Promise<{ retryAt: number } | undefined>
  digest(payload: Digest): Promise<void>
  sweep(payload: Sweep): Promise<void>
  askExpired(payload: AskExpired): Promise<void>
}

export interface SlaWorkerOptions {
  connection: RedisClient
  prefix: string
  processors: SlaProcessors
  log: Logger
  /** Jobs in flight at once; each holds one order's row lock for milliseconds. */
  concurrency?: number
}

/** The consumer of the orders-sla queue, run by `quanqun worker`. */
export function createSlaWorker(opts: SlaWorkerOptions): Worker<unknown, void, SlaJobName> {
  const { processors } = opts
  const log = opts.log.child({ queue: SLA_QUEUE })
  const worker = new Worker<unknown, void, SlaJobName>(
    SLA_QUEUE,
    async (job, token) => {
      switch (job.name) {
        case SLA_JOBS.stepDue: {
          const later = await processors.stepDue(payloadOf(StepDueSchema, job.data))
          if (later && token) {
            // Not due yet by the domain's clock: sleep again without spending an attempt.
            await job.moveToDelayed(later.retryAt, token)
            throw new DelayedError()
          }
          return
        }
        case SLA_JOBS.digest:
          return processors.digest(payloadOf(DigestSchema, job.data))
        case SLA_JOBS.sweep:
          return processors.sweep(payloadOf(SweepSchema, job.data))
        case SLA_JOBS.askExpired:
          return processors.askExpired(payloadOf(AskExpiredSchema, job.data))
        default:
          throw new UnrecoverableError(`unknown job name "${String(job.name)}"`)
      }
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 4 },
  )
  worker.on('error', (err) => log.error({ err }, 'sla worker error'))
  worker.on('failed', (job, err) => {
    log.error({ err, job: job?.id, name: job?.name }, 'sla job failed')
  })
  return worker
}
