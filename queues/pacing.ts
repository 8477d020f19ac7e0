import type { PacingConfig } from '../core/config.ts'

/** The sliding window `perMinute` applies to, in ms. */
const DEFAULT_WINDOW_MS = 60_000

/**
 * PacingConfig minus the cool-down (the worker's business), plus the window length so tests can
 * make the cap bind within seconds. With `windowMs` set, `perMinute` reads "per window".
 */
export interface PacingRules extends Omit<PacingConfig, 'cooldownMs'> {
  windowMs?: number
}

/** Refuses rules that cannot pace anything, at start-up rather than at the first send. */
export function assertPacingRules(rules: PacingRules): void {
  const { perMinute, minGapMs, jitterMs, roomGapMs, windowMs = DEFAULT_WINDOW_MS } = rules
  if (!Number.isInteger(perMinute) || perMinute < 1) {
    throw new RangeError(`pacing: perMinute must be an integer >= 1, got ${perMinute}`)
  }
  for (const [name, value] of Object.entries({ minGapMs, jitterMs, roomGapMs })) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`pacing: ${name} must be a number >= 0, got ${value}`)
    }
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`pacing: windowMs must be > 0, got ${windowMs}`)
  }
}

export interface PacingInput {
  rules: PacingRules
  /** The account's send times in ms, ascending (at least the last `perMinute` of them). */
  recentSends: readonly number[]
  /** When the account last sent to this room, in ms; undefined if not recently. */
  roomLastSentAt: number | undefined
  now: number
  /** A number in [0, 1), as Math.random gives; picks the jitter. */
  random: () => number
}

/** When the next message may go, and which limit sets it (all times in ms since the epoch). */
export interface SendSlot {
  /** Earliest time the message may be sent: the latest of now, accountAt and roomAt. */
  at: number
  /** Earliest time the account may send anything: sliding window and gap + jitter. */
  accountAt: number
  /** Earliest time this room may receive another message. */
  roomAt: number
}

/**
 * Guarantees, provided every send is recorded with a time no earlier than the actual send:
 * - at most `perMinute` sends in any window [t, t + windowMs);
 * - at least `minGapMs` + jitter (jitter in [0, jitterMs], whole ms) between two sends;
 * - at least `roomGapMs` between two sends to the same room.
 */
export function nextSendSlot(input: PacingInput): SendSlot {
  const { rules, recentSends, roomLastSentAt, now } = input
  const windowMs = rules.windowMs ?? DEFAULT_WINDOW_MS
  const n = recentSends.length

  // The cap'th most recent send must have left the window before one more may enter it.
  const kth = n >= rules.perMinute ? recentSends[n - rules.perMinute]! : undefined
  const windowAt = kth === undefined ? -Infinity : kth + windowMs

  const last = n > 0 ? recentSends[n - 1]! : undefined
  const roll = Math.min(Math.max(input.random(), 0), 1 - Number.EPSILON)
  const jitter = Math.floor(roll * (rules.jitterMs + 1))
  const gapAt = last === undefined ? -Infinity : last + rules.minGapMs + jitter

  const accountAt = Math.max(now, windowAt, gapAt)
  const roomAt =
    roomLastSentAt === undefined ? now : Math.max(now, roomLastSentAt + rules.roomGapMs)
  return { at: Math.max(accountAt, roomAt), accountAt, roomAt }
}

/** The earliest time the next message to the room may be sent, in ms. */
export function nextSendAt(input: PacingInput): number {
  return nextSendSlot(input).at
}

/**
 * The send history of one account: the only state pacing needs. It lives in the process that owns
 * the account (only that process sends for it), copied to Redis after each send so the process
 * that takes the account over goes on from it (pacing-store.ts), and is bounded: the last
 * `perMinute` send times and the rooms still inside their gap.
 */
export class SendLog {
  readonly #rules: PacingRules
  #sends: number[] = []
  readonly #rooms = new Map<string, number>()

  constructor(rules: PacingRules) {
    assertPacingRules(rules)
    this.#rules = rules
  }

  slot(roomId: string, now: number, random: () => number): SendSlot {
    return nextSendSlot({
      rules: this.#rules,
      recentSends: this.#sends,
      roomLastSentAt: this.#rooms.get(roomId),
      now,
      random,
    })
  }

  /** Records a send; `at` must be no earlier than the send really happened. */
  record(roomId: string, at: number): void {
    const last = this.#sends[this.#sends.length - 1]
    // Never go back in time, even if the clock does: the window arithmetic needs ascending times.
    const t = last !== undefined && last > at ? last : at
    this.#sends.push(t)
    if (this.#sends.length > this.#rules.perMinute) {
      this.#sends = this.#sends.slice(-this.#rules.perMinute)
    }
    this.#rooms.delete(roomId)
    this.#rooms.set(roomId, t)
    // Map keeps insertion order, so the oldest room sends come first: drop those past their gap.
    for (const [room, sentAt] of this.#rooms) {
      if (sentAt + this.#rules.roomGapMs > t) break
      this.#rooms.delete(room)
    }
  }

  get recentSends(): readonly number[] {
    return this.#sends
  }

  /** Takes a predecessor's sends in, merged with this log's own (usually none yet). */
  restore(snapshot: PacingSnapshot): void {
    this.#sends = [...snapshot.sends, ...this.#sends]
      .sort((a, b) => a - b)
      .slice(-this.#rules.perMinute)
    const last = new Map(snapshot.rooms)
    for (const [room, at] of this.#rooms) last.set(room, Math.max(at, last.get(room) ?? at))
    // Oldest first, as record() keeps them, so its pruning stops at the first room still in its gap.
    this.#rooms.clear()
    for (const [room, at] of [...last].sort((a, b) => a[1] - b[1])) this.#rooms.set(room, at)
  }

  /** How long a send matters: past this, no limit looks at it (ms). */
  get memoryMs(): number {
    const r = this.#rules
    return Math.max(r.windowMs ?? DEFAULT_WINDOW_MS, r.roomGapMs, r.minGapMs + r.jitterMs)
  }

  /** How many of the latest sends any limit looks at. */
  get keeps(): number {
    return this.#rules.perMinute
  }
}

/** An account's recent sends: times in ms, ascending, and each room's last send. */
export interface PacingSnapshot {
  sends: number[]
  rooms: [string, number][]
}
