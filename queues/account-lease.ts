import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { RedisClient } from './connection.ts'

// Compare-and-extend and compare-and-delete: only the owner's token may renew or release, so a
// process that lost its lease (paused past expiry) can never cut short its successor's.
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1]) else return 0 end`

export type LeaseState = { owned: true } | { owned: false; holder: string }

/**
 * One sender per account: the process holding an account's lease is the only one that starts its
 * puppet and consumes its send queue. A puppet-service provider accepts any client with the
 * token, so two processes for one account would both send and break pacing; the lease stops that.
 *
 * The lease is a Redis key (SET NX PX) holding a random owner token, renewed every third of its
 * life while the owner runs, deleted on a clean stop; a killed owner's lease expires by itself.
 */
export class AccountLease {
  readonly key: string
  /** Who we are, as another process's one line names us: host, pid and a random part. */
  readonly token = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  private renewal: NodeJS.Timeout | undefined
  private owned = false

  constructor(
    private readonly connection: RedisClient,
    prefix: string,
    account: string,
    /** How long the account stays owned without a renewal (ms): ACCOUNT_LEASE_MS. */
    private readonly ms: number,
  ) {
    if (!Number.isInteger(ms) || ms < 100)
      throw new RangeError(`lease: ms must be >= 100, got ${ms}`)
    this.key = `${prefix}:lease:${account}`
  }

  /** How often a standing-by process asks again, and an owner renews (ms). */
  get everyMs(): number {
    return Math.floor(this.ms / 3)
  }

  /** Takes the lease if free (or already ours); says who holds it otherwise. */
  async acquire(): Promise<LeaseState> {
    const set = await this.connection.set(this.key, this.token, 'PX', this.ms, 'NX')
    if (set === 'OK' || (await this.extend())) {
      this.owned = true
      return { owned: true }
    }
    const holder = await this.connection.get(this.key)
    // Expired between the two calls: free again, the next try takes it.
    return { owned: false, holder: holder ?? '（刚释放）' }
  }

  /**
   * Renews the lease every third of its life until released; `lost` is called once if it was
   * taken by another process meanwhile (this one was stalled past expiry), and renewal stops.
   */
  keep(lost: () => void): void {
    clearInterval(this.renewal)
    this.renewal = setInterval(() => {
      this.extend().then(
        (ok) => {
          if (ok || !this.owned) return
          this.owned = false
          clearInterval(this.renewal)
          lost()
        },
        // Redis unreachable: the lease may run out; the next renewal tells.
        () => {},
      )
    }, this.everyMs)
    this.renewal.unref()
  }

  /** Gives the lease up if it is still ours; never deletes another owner's. */
  async release(): Promise<void> {
    clearInterval(this.renewal)
    if (!this.owned) return
    this.owned = false
    await this.connection.eval(RELEASE, 1, this.key, this.token)
  }

  private async extend(): Promise<boolean> {
    return (await this.connection.eval(EXTEND, 1, this.key, this.token, this.ms)) === 1
  }
}
