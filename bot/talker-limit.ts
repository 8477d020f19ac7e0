/**
 * Answers each talker at most `max` times per `windowMs`, so a resident (or a script) repeating a
 * command cannot make the bot flood a group and get its account banned. In memory: it guards one
 * bot process, which owns its accounts.
 */
export class TalkerLimit {
  private readonly seen = new Map<string, number[]>()

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
    if (this.seen.size > 10_000) this.prune(since)
    return true
  }

  private prune(since: number): void {
    for (const [id, times] of this.seen) {
      if (!times.some((t) => t > since)) this.seen.delete(id)
    }
  }
}
