import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { ZodType } from 'zod'
import type { Logger } from '../runtime/logger.ts'
import { SLA_JOBS, SLA_QUEUE, type SlaJobName } from './sla-options.ts'
import {
  type Digest,
  DigestSchema,
  type StepDue,
  StepDueSchema,
  type Sweep,
  SweepSchema,
} from './sla-queue.ts'

/** What the domain does for each job; a throw is retried with backoff. */
export interface SlaProcessors {
  /** Returns `retryAt` (ms) when the step is not due yet by the domain's clock. */
  stepDue(payload: StepDue): Promise<{ retryAt: number } | undefined>
  digest(payload: Digest): Promise<void>
  sweep(payload: Sweep): Promise<void>
}

export interface SlaWorkerOptions {
  connection: Redis
  prefix: string
  processors: SlaProcessors
  log: Logger
  /** Jobs in flight at once; each holds one order's row lock for milliseconds. */
  concurrency?: number
}

function parse<T>(schema: ZodType<T>, job: Job): T {
  const parsed = schema.safeParse(job.data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    // A bad payload never gets better: fail it now instead of burning retries.
    throw new UnrecoverableError(`bad payload: ${issue.path.join('.')}: ${issue.message}`)
  }
  return parsed.data
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
          const later = await processors.stepDue(parse(StepDueSchema, job))
          if (later && token) {
            // Not due yet by the domain's clock: sleep again without spending an attempt.
            await job.moveToDelayed(later.retryAt, token)
            throw new DelayedError()
          }
          return
        }
        case SLA_JOBS.digest:
          return processors.digest(parse(DigestSchema, job))
        case SLA_JOBS.sweep:
          return processors.sweep(parse(SweepSchema, job))
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
