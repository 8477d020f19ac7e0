interface Waiter<R> {
  resolve(value: R): void
  reject(error: unknown): void
}

/**
 * Group commit for per-send statements: keys asked for while batches run wait and go together as
 * the next batch, at most `concurrency` batches at a time. The 22 send workers of a process then
 * share a few statements (and commits) instead of each queueing its own on a pool of 10
 * connections. A key asked for twice before its batch runs is run once; both callers get its
 * result.
 */
export class Batcher<K, R> {
  private readonly queued = new Map<K, Waiter<R>[]>()
  private readonly inFlight = new Set<K>()
  private running = 0
  private idleWaiters: (() => void)[] = []

  constructor(
    private readonly run: (keys: K[]) => Promise<Map<K, R>>,
    private readonly opts: { concurrency?: number; max?: number } = {},
  ) {}

  load(key: K): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiters = this.queued.get(key)
      if (waiters) waiters.push({ resolve, reject })
      else this.queued.set(key, [{ resolve, reject }])
      if (this.running < (this.opts.concurrency ?? 1)) {
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
    while (this.queued.size > 0) {
      const batch = new Map<K, Waiter<R>[]>()
      for (const [key, waiters] of this.queued) {
        if (batch.size >= max) break
        batch.set(key, waiters)
      }
      for (const key of batch.keys()) {
        this.queued.delete(key)
        this.inFlight.add(key)
      }
      try {
        const results = await this.run([...batch.keys()])
        for (const [key, waiters] of batch) {
          for (const w of waiters) w.resolve(results.get(key) as R)
        }
      } catch (error) {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(error)
      } finally {
        for (const key of batch.keys()) this.inFlight.delete(key)
      }
    }
  }
}
