/**
 * How long a delivery claimed ahead of its say stays good to say without asking PostgreSQL
 * again. It bounds how late a cancel or a removal from a room can be missed: a claim is made only
 * while the notice is confirmed and the group active, and is not used once older than this.
 */
export const CLAIM_MS = 1_000

/** Most deliveries claimed ahead for one account in one go. */
export const MAX_AHEAD = 128

/**
 * The send rate of each account over the last CLAIM_MS, deciding how many of its next deliveries
 * the gate claims along with the one about to be said. An account that said n messages in the
 * window will say about as many in the next, so half of them are claimed: used well inside
 * CLAIM_MS. A paced account (seconds between sends, as in production) claims none ahead and keeps
 * one exact gate per send.
 */
export class SendPace {
  private readonly recent = new Map<string, number[]>()

  /** Records a send of `account` starting at `now` (ms); returns how many to claim ahead. */
  ahead(account: string, now: number): number {
    let times = this.recent.get(account)
    if (!times) {
      times = []
      this.recent.set(account, times)
    }
    const from = now - CLAIM_MS
    let drop = 0
    while (drop < times.length && times[drop]! <= from) drop++
    if (drop > 0) times.splice(0, drop)
    const earlier = times.length
    times.push(now)
    // Only the count inside the window matters, and it is capped below.
    if (times.length > 2 * MAX_AHEAD) times.shift()
    return Math.min(MAX_AHEAD, Math.floor(earlier / 2))
  }
}
