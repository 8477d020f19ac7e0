interface Waiter<R> {
  resolve(value: R): void
  reject(error: unknown): void
}

/**
 * Group commit for per-send statements: keys asked for while a batch runs wait and go together as
 * the next batch, one batch at a time. The 22 send workers of a process then share one statement
 * (and one commit) instead of each queueing its own on a pool of 10 connections. A key asked for
 * twice before its batch runs is run once; both callers get its result.
 */
export class Batcher<K, R> {
  private queued = new Map<K, Waiter<R>[]>()
  private readonly inFlight = new Set<K>()
  private draining: Promise<void> | undefined

  constructor(
    private readonly run: (keys: K[]) => Promise<Map<K, R>>,
    private readonly max = 1_000,
  ) {}

  load(key: K): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiters = this.queued.get(key)
      if (waiters) waiters.push({ resolve, reject })
      else this.queued.set(key, [{ resolve, reject }])
      // setImmediate: the callers woken by the same I/O round join the first batch too.
      this.draining ??= new Promise<void>((done) => setImmediate(done)).then(() => this.drain())
    })
  }

  /** Whether `key` waits for (or is in) a batch not yet returned. */
  holds(key: K): boolean {
    return this.queued.has(key) || this.inFlight.has(key)
  }

  /** Resolves once every key asked for so far has been run. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.size > 0) {
        const batch = new Map<K, Waiter<R>[]>()
        for (const [key, waiters] of this.queued) {
          if (batch.size >= this.max) break
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
          this.inFlight.clear()
        }
      }
    } finally {
      this.draining = undefined
    }
  }
}
