import { Buffer } from 'node:buffer'
import { type DefaultJobOptions, type Job, Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { z } from 'zod'
import { type Batcher, writerOf } from '../runtime/batcher.ts'
import { type OutboundMessage, OutboundMessageSchema, priorityOf } from './outbound-message.ts'
import { SAY_JOB, sendJobOptions } from './send-options.ts'

export type SendQueue = Queue<OutboundMessage, void, typeof SAY_JOB>
export type SendJob = Job<OutboundMessage, void, typeof SAY_JOB>

/**
 * The queue name of one bot account. Account names are WeChat names (any Unicode, spaces, ':'),
 * BullMQ forbids ':' in names and Redis keys are easier to read without spaces, so the name is
 * base64url-encoded: reversible, collision-free and made of [A-Za-z0-9_-] only.
 */
export function sendQueueName(account: string): string {
  if (account.length === 0) throw new Error('send queue: account name is empty')
  return `send-${Buffer.from(account, 'utf8').toString('base64url')}`
}

export interface SendQueueOptions {
  connection: Redis
  /** QUEUE_PREFIX; tests pass a unique one. A hash tag here keeps a queue on one Cluster slot. */
  prefix: string
  account: string
  /** Merged over send-options.ts, for tests that need short backoffs. */
  jobOptions?: DefaultJobOptions
}

/** The producer side of one account's send queue. The caller closes it; the connection is shared. */
export function createSendQueue(opts: SendQueueOptions): SendQueue {
  return new Queue<OutboundMessage, void, typeof SAY_JOB>(sendQueueName(opts.account), {
    connection: opts.connection,
    prefix: opts.prefix,
    defaultJobOptions: { ...sendJobOptions, ...opts.jobOptions },
  })
}

/**
 * A deterministic job id (e.g. `${noticeId}-${groupId}`) makes a second add of the same message a
 * no-op. BullMQ refuses ids with ':' and ids that look like integers (they clash with its own).
 */
const JobIdSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((id) => !id.includes(':'), 'job id must not contain ":"')
  .refine((id) => `${Number.parseInt(id, 10)}` !== id, 'job id must not be an integer')

export interface SayRequest {
  msg: OutboundMessage
  jobId?: string
}

interface SayJobSpec {
  name: typeof SAY_JOB
  data: OutboundMessage
  opts: { priority: number; jobId?: string }
}

function jobOf(req: SayRequest, index?: number): SayJobSpec {
  const at = index === undefined ? '' : ` #${index}`
  const msg = OutboundMessageSchema.safeParse(req.msg)
  if (!msg.success) {
    const issue = msg.error.issues[0]!
    throw new TypeError(`outbound message${at}: ${issue.path.join('.')}: ${issue.message}`)
  }
  let jobId: string | undefined
  if (req.jobId !== undefined) {
    const id = JobIdSchema.safeParse(req.jobId)
    if (!id.success) throw new TypeError(`outbound message${at}: ${id.error.issues[0]!.message}`)
    jobId = id.data
  }
  return {
    name: SAY_JOB,
    data: msg.data,
    opts: { priority: priorityOf(msg.data), ...(jobId === undefined ? {} : { jobId }) },
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
 * Queues many messages in one round trip (a notice's fan-out to an account's rooms). All requests
 * are validated first, so one bad message queues none of them.
 */
export async function enqueueSayBulk(
  queue: SendQueue,
  requests: readonly SayRequest[],
): Promise<SendJob[]> {
  const jobs = requests.map((req, i) => jobOf(req, i))
  if (jobs.length === 0) return []
  return queue.addBulk(jobs)
}

const saying = new WeakMap<SendQueue, Batcher<SayRequest, void>>()

/**
 * enqueueSay for callers that need no job back (replies, notices): the says queued on one account
 * while its previous round trip is out go to Redis together, in one addBulk. A bad message fails
 * only its caller, with the same TypeError.
 */
export async function queueSay(
  queue: SendQueue,
  msg: OutboundMessage,
  jobId?: string,
): Promise<void> {
  const writer = writerOf(saying, queue, (requests) => enqueueSayBulk(queue, requests))
  await writer.load(jobId === undefined ? { msg } : { msg, jobId })
}
