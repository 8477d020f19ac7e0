import { Buffer } from 'node:buffer'
import { type DefaultJobOptions, type Job, Queue } from 'bullmq'
import type { z } from 'zod'
import { addJobs } from './add-jobs.ts'
import type { RedisClient } from './connection.ts'
import {
  JobIdSchema,
  messageOf,
  type OutboundMessage,
  OutboundMessageSchema,
  type OutboundPage,
  OutboundPageSchema,
  priorityOf,
} from './outbound-message.ts'
import { SAY_JOB, SAY_PAGE_JOB, type SendJobName, sendJobOptions } from './send-options.ts'

export type SendJobData = OutboundMessage | OutboundPage
export type SendQueue = Queue<SendJobData, void, SendJobName>
export type SendJob = Job<SendJobData, void, SendJobName>

/**
 * The queue name of one bot account. Account names are WeChat names (any Unicode, spaces, ':'),
 * BullMQ forbids ':' in names and Redis keys are easier to read without spaces, so the name is
 * base64url-encoded: reversible, collision-free and made of [A-Za-z0-9_-] only. The braces are a
 * Redis Cluster hash tag: a queue's keys (`qq:{send-…}:wait`, …) share a slot, as BullMQ's
 * multi-key scripts need, while each account's queue hashes to a slot of its own.
 */
export function sendQueueName(account: string): string {
  if (account.length === 0) throw new Error('send queue: account name is empty')
  return `{send-${Buffer.from(account, 'utf8').toString('base64url')}}`
}

export interface SendQueueOptions {
  connection: RedisClient
  /** QUEUE_PREFIX; tests pass a unique one. No hash tag: the queue name carries it. */
  prefix: string
  account: string
  /** Merged over send-options.ts, for tests that need short backoffs. */
  jobOptions?: DefaultJobOptions
}

/** The producer side of one account's send queue. The caller closes it; the connection is shared. */
export function createSendQueue(opts: SendQueueOptions): SendQueue {
  return new Queue<SendJobData, void, SendJobName>(sendQueueName(opts.account), {
    connection: opts.connection,
    prefix: opts.prefix,
    defaultJobOptions: { ...sendJobOptions, ...opts.jobOptions },
  })
}

export interface SayRequest {
  msg: OutboundMessage
  jobId?: string
}

export interface PageRequest {
  page: OutboundPage
  jobId: string
}

interface SendJobSpec<D extends SendJobData> {
  name: SendJobName
  data: D
  opts: { priority: number; jobId?: string }
}

/** Parses what is about to be queued; a TypeError names the first problem. */
function valid<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const path = issue.path.join('.')
  throw new TypeError(`${what}: ${path ? `${path}: ` : ''}${issue.message}`)
}

function jobOf(req: SayRequest, index?: number): SendJobSpec<OutboundMessage> {
  const what = `outbound message${index === undefined ? '' : ` #${index}`}`
  const data = valid(OutboundMessageSchema, req.msg, what)
  const jobId = req.jobId === undefined ? undefined : valid(JobIdSchema, req.jobId, what)
  return {
    name: SAY_JOB,
    data,
    opts: { priority: priorityOf(data), ...(jobId === undefined ? {} : { jobId }) },
  }
}

function pageJobOf(req: PageRequest, index: number): SendJobSpec<OutboundPage> {
  const what = `outbound page #${index}`
  const data = valid(OutboundPageSchema, req.page, what)
  return {
    name: SAY_PAGE_JOB,
    data,
    opts: { priority: priorityOf(data), jobId: valid(JobIdSchema, req.jobId, what) },
  }
}

/** Queues one message; throws a TypeError (nothing queued) when the message or job id is invalid. */
export async function enqueueSay(
  queue: SendQueue,
  msg: OutboundMessage,
  opts: { jobId?: string } = {},
): Promise<SendJob> {
  const job = jobOf({ msg, ...opts })
  return queue.add(job.name, job.data, job.opts)
}

/**
 * Queues many messages in one round trip. All requests are validated first, so one bad message
 * queues none of them.
 */
export async function enqueueSayBulk(
  queue: SendQueue,
  requests: readonly SayRequest[],
): Promise<SendJob[]> {
  return addJobs(
    queue,
    requests.map((req, i) => jobOf(req, i)),
  )
}

/**
 * Queues pages (a notice's sends on one account) in one round trip, all validated first: one bad
 * page queues none of them.
 */
export async function enqueuePageBulk(
  queue: SendQueue,
  requests: readonly PageRequest[],
): Promise<SendJob[]> {
  return addJobs(
    queue,
    requests.map((req, i) => pageJobOf(req, i)),
  )
}

/**
 * What a job still has to say, from what it holds: a message, or a page's rooms from its progress
 * (the count of rooms already done, see send-worker.ts) on. Nothing for a payload that does not
 * parse.
 */
export function unsaidOf(job: Pick<SendJob, 'name' | 'data' | 'progress'>): OutboundMessage[] {
  if (job.name === SAY_JOB) {
    const msg = OutboundMessageSchema.safeParse(job.data)
    return msg.success ? [msg.data] : []
  }
  const page = OutboundPageSchema.safeParse(job.data)
  if (!page.success) return []
  return page.data.to
    .slice(pageProgress(job.progress, page.data))
    .map((e) => messageOf(page.data, e))
}

/** A page job's progress as a count of rooms done; anything else reads as none done. */
export function pageProgress(progress: unknown, page: OutboundPage): number {
  return typeof progress === 'number' && Number.isInteger(progress) && progress >= 0
    ? Math.min(progress, page.to.length)
    : 0
}
