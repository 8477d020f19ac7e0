import { OutboundMessageSchema, OutboundPageSchema } from '../queues/outbound-message.ts'
import { SAY_PAGE_JOB } from '../queues/send-options.ts'
import { pageProgress, type SendJob, type SendQueue } from '../queues/send-queue.ts'
import { deliveryIdOfRef, deliveryJobId } from './delivery-jobs.ts'

/**
 * Where a delivery's send stands in Redis:
 * - said: its job completed, or its page got past it (said, skipped, or handed to its own job);
 * - failed: retries exhausted, with the reason;
 * - inHand: waiting, delayed (pacing, backoff) or being sent;
 * - unknown: no job holds it (Redis lost it, or it was never queued).
 */
export type SendState =
  | { state: 'said' | 'inHand' | 'unknown' }
  | { state: 'failed'; reason: string | undefined }

/** Jobs read per state: BullMQ keeps 1,000 completed jobs per account. */
const JOBS_READ = 1_000

const UNFINISHED = ['active', 'waiting', 'prioritized', 'delayed', 'paused'] as const

/** Pages may overlap (a re-run fan-out): in hand beats said, said beats failed. */
const RANK = { unknown: 0, failed: 1, said: 2, inHand: 3 } as const

/**
 * The send state of each of one account's deliveries, in three steps, each only for what the
 * ones before left open: the unfinished pages (a room at or after a page's progress is in hand,
 * and has no job of its own yet); the job of its own (`d-<id>`) that a room gets when its say in a
 * page failed; the finished pages.
 */
export async function sendStatesOf(
  queue: SendQueue,
  ids: readonly number[],
): Promise<Map<number, SendState>> {
  const states = new Map<number, SendState>()
  const open = new Set(ids)
  const settle = () => {
    for (const [id, s] of states) if (s.state !== 'unknown') open.delete(id)
  }
  const fromPages = (jobs: SendJob[], ahead: (job: SendJob) => SendState, behind: SendState) => {
    for (const job of jobs) {
      if (job.name !== SAY_PAGE_JOB) continue
      const page = OutboundPageSchema.safeParse(job.data)
      if (!page.success) continue
      const done = pageProgress(job.progress, page.data)
      for (const [i, entry] of page.data.to.entries()) {
        const id = entry.ref === undefined ? undefined : deliveryIdOfRef(entry.ref)
        if (id === undefined || !open.has(id)) continue
        const state = i < done ? behind : ahead(job)
        if (RANK[state.state] > RANK[states.get(id)?.state ?? 'unknown']) states.set(id, state)
      }
    }
  }

  // Behind an unfinished page's progress a room may have a job of its own: left to step two.
  const unfinished = await queue.getJobs([...UNFINISHED], 0, JOBS_READ - 1)
  fromPages(unfinished, () => ({ state: 'inHand' }), { state: 'unknown' })
  settle()
  await Promise.all(
    [...open].map(async (id) => {
      const state = await queue.getJobState(deliveryJobId(id))
      if (state === 'completed') states.set(id, { state: 'said' })
      else if (state === 'failed') {
        const job = await queue.getJob(deliveryJobId(id))
        states.set(id, { state: 'failed', reason: job?.failedReason })
      } else if (state !== 'unknown') states.set(id, { state: 'inHand' })
    }),
  )
  settle()
  if (open.size > 0) {
    // A page moves past a room only once it is said, skipped or has its own job: said. (A
    // completed page has moved past all of its rooms.)
    const said = { state: 'said' } as const
    fromPages(unfinished, () => ({ state: 'inHand' }), said)
    fromPages(await queue.getJobs(['completed'], 0, JOBS_READ - 1), () => said, said)
    fromPages(
      await queue.getJobs(['failed'], 0, JOBS_READ - 1),
      (job) => ({ state: 'failed', reason: job.failedReason }),
      said,
    )
  }
  for (const id of ids) if (!states.has(id)) states.set(id, { state: 'unknown' })
  return states
}

/**
 * The delayed jobs of one account with one of `ids` still to say (a single send, or a page not yet
 * past it): the sends of a paused notice parked by the send worker, for its resume to wake.
 */
export async function delayedJobsHolding(
  queue: SendQueue,
  ids: ReadonlySet<number>,
): Promise<SendJob[]> {
  const holds = (ref: string | undefined) => {
    const id = ref === undefined ? undefined : deliveryIdOfRef(ref)
    return id !== undefined && ids.has(id)
  }
  const delayed = await queue.getJobs(['delayed'], 0, JOBS_READ - 1)
  return delayed.filter((job) => {
    if (job.name === SAY_PAGE_JOB) {
      const page = OutboundPageSchema.safeParse(job.data)
      if (!page.success) return false
      const done = pageProgress(job.progress, page.data)
      return page.data.to.slice(done).some((entry) => holds(entry.ref))
    }
    const msg = OutboundMessageSchema.safeParse(job.data)
    return msg.success && holds(msg.data.ref)
  })
}
