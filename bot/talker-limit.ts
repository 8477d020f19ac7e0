/**
 * Answers each talker at most `max` times per `windowMs`, so a resident (or a script) repeating a
 * command cannot make the bot flood a group and get its account banned. In memory: it guards one
 * bot process, which owns its accounts.
 */
/** Talkers remembered before old ones are dropped. */
const PRUNE_FLOOR = 10_000

export class TalkerLimit {
  private readonly seen = new Map<string, number[]>()
  /**
   * The size that triggers the next prune: twice what the last one kept, so a window holding
   * more talkers than the floor is scanned once per doubling, not on every message.
   */
  private pruneAt = PRUNE_FLOOR

  constructor(
    private readonly max = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Records an attempt; false when the talker already had `max` answers in the window. */
  allow(talkerId: string, now = Date.now()): boolean {
    const since = now - this.windowMs
    const recent = (this.seen.get(talkerId) ?? []).filter((t) => t > since)
    if (recent.length >= this.max) {
      this.seen.set(talkerId, recent)
      return false
    }
    recent.push(now)
    this.seen.set(talkerId, recent)
    if (this.seen.size > this.pruneAt) {
      this.prune(since)
      this.pruneAt = Math.max(PRUNE_FLOOR, 2 * this.seen.size)
    }
    return true
  }

  private prune(since: number): void {
    for (const [id, times] of this.seen) {
      if (!times.some((t) => t > since)) this.seen.delete(id)
    }
  }
}
