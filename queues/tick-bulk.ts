/**
 * Writes to a queue that arrive in the same turn of the event loop go out as one bulk call: the
 * replies of messages handled together, or the timers and notices of orders committed together,
 * take one Redis round trip instead of one each. When the bulk call fails, each write is tried
 * alone, so one bad write fails only its own caller.
 */
export class TickBulk<T> {
  private pending: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = []

  constructor(
    private readonly bulk: (items: T[]) => Promise<unknown>,
    private readonly one: (item: T) => Promise<unknown>,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush())
      this.pending.push({ item, resolve, reject })
    })
  }

  private async flush(): Promise<void> {
    const batch = this.pending
    this.pending = []
    if (batch.length > 1) {
      try {
        await this.bulk(batch.map((b) => b.item))
        for (const b of batch) b.resolve()
        return
      } catch {
        // Tried one by one below: each caller hears about its own write only.
      }
    }
    for (const b of batch) {
      await this.one(b.item).then(b.resolve, b.reject)
    }
  }
}

/** One TickBulk per key object (a queue), made on first use. */
export function bulkOf<K extends object, T>(
  registry: WeakMap<K, TickBulk<T>>,
  key: K,
  make: () => TickBulk<T>,
): TickBulk<T> {
  let found = registry.get(key)
  if (!found) {
    found = make()
    registry.set(key, found)
  }
  return found
}
