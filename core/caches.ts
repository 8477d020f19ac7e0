/**
 * The state a process keeps between calls (look-up caches, write batchers), in one place that
 * `Services` shows: one registry per Services, so a test's database or a second app in one
 * process never shares a cache with another, and nothing hides in module-level maps.
 */
export interface CacheKey<T> {
  readonly name: string
  /** Only for the type: a key names what it holds. */
  readonly _type?: T
}

export function cacheKey<T>(name: string): CacheKey<T> {
  return { name }
}

export class Caches {
  private readonly held = new Map<CacheKey<unknown>, unknown>()

  /** The value under `key`, made by `make` on first use. */
  of<T>(key: CacheKey<T>, make: () => T): T {
    if (this.held.has(key)) return this.held.get(key) as T
    const value = make()
    this.held.set(key, value)
    return value
  }

  /** What is held, by name (for `quanqun status` and tests). */
  names(): string[] {
    return [...this.held.keys()].map((k) => k.name)
  }

  /** Forgets one entry (e.g. a binding changed, so the team rooms are read again). */
  drop<T>(key: CacheKey<T>): void {
    this.held.delete(key)
  }
}
