import { setTimeout as sleep } from 'node:timers/promises'

interface Waiter<R> {
  resolve(value: R): void
  reject(error: unknown): void
}

export interface BatcherOptions {
  /** Batches running at once (default 1: what arrives meanwhile waits for the next batch). */
  concurrency?: number
  /**
   * With concurrency above 1: a further batch starts beside those out only while each of them
   * holds at most this many keys (default: however many). At 1, a lone key does not wait for
   * another lone key's round trip, while keys arriving behind a batch of several queue into one
   * batch rather than trickling into small ones beside it.
   */
  besideUpTo?: number
  /** Keys in one batch at most (default 1,000). */
  max?: number
  /**
   * Waits this long (ms) before each batch so more keys join it: for writes nobody waits on
   * (write-behind), where fewer, larger statements matter more than a few ms. Not when a full batch
   * (`max`) is already queued. Default 0.
   */
  gatherMs?: number
  /** Told when a batch of several failed and its keys are being run one at a time. */
  onBatchError?: (error: unknown, size: number) => void
}

/**
 * Group commit: keys asked for while batches run wait and go together as the next batch, in the
 * order they were asked for. Every commit to PostgreSQL waits for an fsync and every Redis call
 * for a round trip, so callers arriving together (the send workers of a process, the 点单 of one
 * busy minute, the replies of one turn) share one statement instead of queueing one each.
 *
 * A key asked for twice before its batch runs is run once; both callers get its result. A batch
 * of several that throws is run again one key at a time, so one bad key fails only its callers.
 */
export class Batcher<K, R> {
  private readonly queued = new Map<K, Waiter<R>[]>()
  private readonly inFlight = new Set<K>()
  /** The batches out now, for besideUpTo. */
  private readonly out = new Set<Map<K, Waiter<R>[]>>()
  private running = 0
  private idleWaiters: (() => void)[] = []

  constructor(
    private readonly run: (keys: K[]) => Promise<Map<K, R>>,
    private readonly opts: BatcherOptions = {},
  ) {}

  load(key: K): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiters = this.queued.get(key)
      if (waiters) waiters.push({ resolve, reject })
      else this.queued.set(key, [{ resolve, reject }])
      if (this.running < (this.opts.concurrency ?? 1) && this.roomBeside()) {
        this.running++
        // setImmediate: the callers woken by the same I/O round join the first batch too.
        setImmediate(() => void this.drain())
      }
    })
  }

  /** Whether `key` waits for (or is in) a batch not yet returned. */
  holds(key: K): boolean {
    return this.queued.has(key) || this.inFlight.has(key)
  }

  /** Resolves once every key asked for so far has been run. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Whether a batch may start beside the ones out now (besideUpTo). */
  private roomBeside(): boolean {
    const upTo = this.opts.besideUpTo
    if (upTo === undefined) return true
    for (const batch of this.out) if (batch.size > upTo) return false
    return true
  }

  /** One of the `concurrency` loops: batches until nothing is queued (counted out synchronously). */
  private async drain(): Promise<void> {
    try {
      await this.batches()
    } finally {
      this.running--
      if (this.running === 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  private async batches(): Promise<void> {
    const max = this.opts.max ?? 1_000
    const gather = this.opts.gatherMs ?? 0
    while (this.queued.size > 0) {
      // Another loop's batch is out and too big to run beside: that loop takes the queue next.
      if (!this.roomBeside()) return
      // A full batch is already waiting: more keys could only join the one after it.
      if (gather > 0 && this.queued.size < max) await sleep(gather)
      const batch = new Map<K, Waiter<R>[]>()
      for (const [key, waiters] of this.queued) {
        if (batch.size >= max) break
        batch.set(key, waiters)
      }
      for (const key of batch.keys()) {
        this.queued.delete(key)
        this.inFlight.add(key)
      }
      this.out.add(batch)
      try {
        await this.settle(batch)
      } finally {
        this.out.delete(batch)
        for (const key of batch.keys()) this.inFlight.delete(key)
      }
    }
  }

  private async settle(batch: Map<K, Waiter<R>[]>): Promise<void> {
    try {
      const results = await this.run([...batch.keys()])
      for (const [key, waiters] of batch) {
        for (const w of waiters) w.resolve(results.get(key) as R)
      }
      return
    } catch (error) {
      if (batch.size === 1) {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(error)
        return
      }
      this.opts.onBatchError?.(error, batch.size)
    }
    for (const [key, waiters] of batch) await this.settle(new Map([[key, waiters]]))
  }
}
