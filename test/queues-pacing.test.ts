import { describe, expect, it } from 'vitest'
import {
  assertPacingRules,
  nextSendAt,
  nextSendSlot,
  type PacingRules,
  SendLog,
} from '../queues/pacing.ts'
import { seeded } from './support/prng.ts'

const rules: PacingRules = { perMinute: 30, minGapMs: 1_500, jitterMs: 1_000, roomGapMs: 3_000 }
const zero = () => 0

describe('nextSendSlot', () => {
  it('lets the first message go at once', () => {
    const input = { rules, recentSends: [], roomLastSentAt: undefined, now: 1_000, random: zero }
    expect(nextSendSlot(input)).toEqual({ at: 1_000, accountAt: 1_000, roomAt: 1_000 })
    expect(nextSendAt(input)).toBe(1_000)
  })

  it('waits until the oldest send of a full window has left it', () => {
    const r: PacingRules = { ...rules, perMinute: 3, minGapMs: 0, jitterMs: 0 }
    const input = { rules: r, recentSends: [0, 10, 20], roomLastSentAt: undefined, now: 30 }
    expect(nextSendAt({ ...input, random: zero })).toBe(60_000)
    // One more in the log: now the second-oldest of the last three sets the time.
    expect(
      nextSendAt({ ...input, recentSends: [0, 10, 20, 60_000], now: 60_000, random: zero }),
    ).toBe(60_010)
    // A window of its own length (tests shrink it to seconds).
    expect(nextSendAt({ ...input, rules: { ...r, windowMs: 1_000 }, random: zero })).toBe(1_000)
  })

  it('keeps the room gap and tells it apart from the account limits', () => {
    const slot = nextSendSlot({
      rules,
      recentSends: [10_000],
      roomLastSentAt: 10_000,
      now: 10_100,
      random: zero,
    })
    expect(slot).toEqual({ at: 13_000, accountAt: 11_500, roomAt: 13_000 })
    // Another room is bound only by the account gap.
    expect(
      nextSendSlot({
        rules,
        recentSends: [10_000],
        roomLastSentAt: 1_000,
        now: 10_100,
        random: zero,
      }),
    ).toEqual({ at: 11_500, accountAt: 11_500, roomAt: 10_100 })
  })

  it('adds a jitter within [0, jitterMs] to the minimum gap', () => {
    const at = (roll: number) =>
      nextSendAt({ rules, recentSends: [0], roomLastSentAt: undefined, now: 0, random: () => roll })
    expect(at(0)).toBe(1_500)
    expect(at(0.5)).toBe(2_000)
    expect(at(0.999_999_9)).toBe(2_500)
    // A broken source never pushes past the bounds.
    expect(at(1)).toBe(2_500)
    expect(at(-3)).toBe(1_500)
    const rnd = seeded(7)
    for (let i = 0; i < 1_000; i++) {
      const gap = at(rnd())
      expect(gap).toBeGreaterThanOrEqual(1_500)
      expect(gap).toBeLessThanOrEqual(2_500)
      expect(Number.isInteger(gap)).toBe(true)
    }
  })

  it('never answers earlier than now', () => {
    expect(
      nextSendAt({ rules, recentSends: [0], roomLastSentAt: 0, now: 99_999, random: zero }),
    ).toBe(99_999)
  })
})

describe('pacing over random schedules', () => {
  const variants: Array<[string, PacingRules]> = [
    ['defaults', rules],
    ['cap binds (no gap)', { perMinute: 5, minGapMs: 0, jitterMs: 0, roomGapMs: 0 }],
    ['short window', { perMinute: 7, minGapMs: 20, jitterMs: 50, roomGapMs: 300, windowMs: 1_000 }],
    ['room gap dominates', { perMinute: 100, minGapMs: 10, jitterMs: 10, roomGapMs: 5_000 }],
  ]

  it.each(variants)('%s: cap, gaps and jitter hold for every send', (_, r) => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = seeded(seed)
      const log = new SendLog(r)
      const windowMs = r.windowMs ?? 60_000
      const sends: Array<{ at: number; room: string }> = []
      let now = 0
      for (let i = 0; i < 400; i++) {
        // Messages arrive in bursts and lulls, for a handful of rooms.
        now += rnd() < 0.7 ? 0 : Math.floor(rnd() * 3 * windowMs)
        const room = `room-${Math.floor(rnd() * 6)}`
        const slot = log.slot(room, now, rnd)
        if (slot.at < now) throw new Error(`slot ${slot.at} before now ${now} (seed ${seed})`)
        log.record(room, slot.at)
        sends.push({ at: slot.at, room })
        now = slot.at
      }
      expect(log.recentSends.length).toBeLessThanOrEqual(r.perMinute)
      // Collect violations rather than assert each pair: 400 sends × 20 seeds, one readable diff.
      const times = sends.map((s) => s.at)
      const crowded: number[] = []
      for (let i = 0; i + r.perMinute < times.length; i++) {
        // perMinute + 1 consecutive sends never fit in one window [t, t + windowMs).
        if (times[i + r.perMinute]! - times[i]! < windowMs) crowded.push(times[i]!)
      }
      const tooClose: number[] = []
      for (let i = 1; i < times.length; i++) {
        if (times[i]! - times[i - 1]! < r.minGapMs) tooClose.push(times[i]!)
      }
      const roomTooSoon: string[] = []
      const lastByRoom = new Map<string, number>()
      for (const s of sends) {
        const prev = lastByRoom.get(s.room)
        if (prev !== undefined && s.at - prev < r.roomGapMs) roomTooSoon.push(`${s.room}@${s.at}`)
        lastByRoom.set(s.room, s.at)
      }
      expect({ seed, crowded, tooClose, roomTooSoon }).toEqual({
        seed,
        crowded: [],
        tooClose: [],
        roomTooSoon: [],
      })
    }
  })

  it('is not slower than it must be: with a backlog the cap is reached in every window', () => {
    const r: PacingRules = { perMinute: 10, minGapMs: 0, jitterMs: 0, roomGapMs: 0 }
    const log = new SendLog(r)
    let now = 0
    for (let i = 0; i < 100; i++) {
      now = log.slot(`room-${i}`, now, zero).at
      log.record(`room-${i}`, now)
    }
    // 10 at t=0, then 10 every 60 s: the 100th send lands at 9 minutes exactly.
    expect(now).toBe(9 * 60_000)
  })
})

describe('SendLog', () => {
  it('never goes back in time and forgets rooms past their gap', () => {
    const log = new SendLog({ perMinute: 2, minGapMs: 0, jitterMs: 0, roomGapMs: 1_000 })
    log.record('a', 5_000)
    log.record('b', 4_000) // a clock step back is recorded as 5_000
    expect(log.recentSends).toEqual([5_000, 5_000])
    expect(log.slot('a', 5_000, zero).roomAt).toBe(6_000)
    log.record('c', 7_000)
    expect(log.recentSends).toEqual([5_000, 7_000])
    // a and b are past their gap: free at once.
    expect(log.slot('a', 7_000, zero).roomAt).toBe(7_000)
    expect(log.slot('c', 7_000, zero).roomAt).toBe(8_000)
  })

  it('refuses rules that cannot pace', () => {
    expect(() => assertPacingRules({ ...rules, perMinute: 0 })).toThrow(/perMinute/)
    expect(() => assertPacingRules({ ...rules, perMinute: 2.5 })).toThrow(/perMinute/)
    expect(() => assertPacingRules({ ...rules, minGapMs: -1 })).toThrow(/minGapMs/)
    expect(() => assertPacingRules({ ...rules, roomGapMs: Number.NaN })).toThrow(/roomGapMs/)
    expect(() => assertPacingRules({ ...rules, windowMs: 0 })).toThrow(/windowMs/)
    expect(() => new SendLog({ ...rules, jitterMs: -5 })).toThrow(/jitterMs/)
  })
})
