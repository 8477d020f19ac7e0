import type { Job, JobsOptions, Queue } from 'bullmq'
import { type RedisClient, redisMasters } from './connection.ts'

interface Corkable {
  cork(): void
  uncork(): void
}

export interface JobSpec<D, N extends string> {
  name: N
  data: D
  opts?: JobsOptions
}

/**
 * Adds jobs in the order given, one `add` each, written to Redis in one go: the connection's
 * socket is corked until the adds are all written (the check phase of this turn of the event loop),
 * so Redis reads them together, as it read addBulk's pipeline.
 *
 * Not addBulk: it puts the jobs in an ioredis Pipeline, and every Pipeline defines its own
 * `length` getter, a closure over the instance. V8 keeps an object with such a getter, and all it
 * holds (commands, jobs, their data and the code awaiting them), alive through every young
 * collection until the next full one (bench/README.md, "No ioredis pipelines for adds").
 */
export async function addJobs<D, R, N extends string>(
  queue: Queue<D, R, N>,
  jobs: readonly JobSpec<D, N>[],
): Promise<Job<D, R, N>[]> {
  if (jobs.length === 0) return []
  // On a cluster the queue's slot lives on one of the masters: cork them all.
  // BullMQ hands back its proxy of our ioredis client: properties reach the client itself.
  for (const node of redisMasters((await queue.client) as unknown as RedisClient)) {
    const socket = (node as { stream?: Partial<Corkable> }).stream
    if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') continue
    const stream = socket as Corkable
    stream.cork()
    setImmediate(() => stream.uncork())
  }
  const plain = queue as unknown as Queue
  return (await Promise.all(jobs.map((j) => plain.add(j.name, j.data, j.opts)))) as Job<D, R, N>[]
}
