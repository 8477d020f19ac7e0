import { Queue, Worker } from 'bullmq'
import { createRedis } from '../queues/connection.ts'
import type { PacingRules } from '../queues/pacing.ts'
import { enqueuePageBulk, type PageRequest } from '../queues/send-queue.ts'
import { startSampleDistrict } from '../test/support/sample-district.ts'
import { createScratchDatabase } from '../test/support/scratch-db.ts'
import { type BenchRow, median } from './support.ts'

/** Small real limits so the cap binds within seconds: 10 messages per 2 s window per account. */
const RULES: PacingRules & { cooldownMs: number } = {
  perMinute: 10,
  windowMs: 2_000,
  minGapMs: 20,
  jitterMs: 20,
  roomGapMs: 150,
  cooldownMs: 5_000,
}
const MESSAGES = 60
const ACCOUNT = 'bot-shiqiaopu'

/** Sends beyond the cap in any sliding window (checked at every send). */
function windowViolations(times: readonly number[], cap: number, windowMs: number): number {
  let violations = 0
  for (let i = cap; i < times.length; i++) if (times[i]! - times[i - cap]! < windowMs) violations++
  return violations
}

/**
 * Steady-state rate as a fraction of the cap: the first window's burst is free under a sliding
 * window, so count what came after it over the time it took.
 */
function utilisation(times: readonly number[], cap: number, windowMs: number): number {
  const span = times.at(-1)! - times[0]!
  return (times.length - cap) / span / (cap / windowMs)
}

/**
 * `messages`: one job per message (replies, dispatches); `pages`: the same messages as pages of
 * the account's rooms (a notice's fan-out), each page's rooms distinct.
 */
type Shape = 'messages' | 'pages'

async function runQuanqun(
  shape: Shape,
): Promise<{ util: number; violations: number; roomViolations: number }> {
  const d = await startSampleDistrict({
    pacing: RULES,
    database: () => createScratchDatabase({ prefix: 'quanqun_bench' }),
  })
  try {
    const own = d.network.roomsOf(ACCOUNT)
    const sent: { at: number; roomId: string }[] = []
    const stop = d.network.onSaid((s) => {
      if (s.fromBot && s.account === ACCOUNT) sent.push({ at: s.at, roomId: s.roomId })
    })
    const rooms = Array.from({ length: MESSAGES }, (_, i) => own[i % own.length]!.id)
    if (shape === 'pages') {
      const pages: PageRequest[] = []
      for (let from = 0; from < MESSAGES; from += own.length) {
        const to = rooms.slice(from, from + own.length).map((roomId) => ({ roomId }))
        pages.push({
          page: { text: `通知 ${from}`, kind: 'notice', tier: 3, to },
          jobId: `p-${from}`,
        })
      }
      await enqueuePageBulk(d.services.messenger.queueOf(ACCOUNT), pages)
    } else {
      for (const [i, roomId] of rooms.entries()) {
        await d.services.messenger.toRoom(ACCOUNT, roomId, {
          text: `通知 ${i}`,
          kind: 'notice',
          tier: 3,
        })
      }
    }
    const end = Date.now() + 60_000
    while (sent.length < MESSAGES && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    stop()
    const times = sent.map((s) => s.at)
    let roomViolations = 0
    const last = new Map<string, number>()
    for (const s of sent) {
      const prev = last.get(s.roomId)
      if (prev !== undefined && s.at - prev < RULES.roomGapMs) roomViolations++
      last.set(s.roomId, s.at)
    }
    return {
      util: utilisation(times, RULES.perMinute, RULES.windowMs!),
      violations:
        windowViolations(times, RULES.perMinute, RULES.windowMs!) + MESSAGES - sent.length,
      roomViolations,
    }
  } finally {
    await d.stop()
  }
}

/** Raw BullMQ with its own limiter set to the same cap: the baseline quanqun's pacing rides on. */
async function runBullmq(): Promise<{ util: number; violations: number }> {
  const connection = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  const prefix = `qqbench-${Date.now()}`
  const queue = new Queue('pacing-baseline', { connection, prefix })
  const times: number[] = []
  const worker = new Worker(
    'pacing-baseline',
    async () => {
      times.push(Date.now())
    },
    { connection, prefix, limiter: { max: RULES.perMinute, duration: RULES.windowMs! } },
  )
  try {
    await queue.addBulk(Array.from({ length: MESSAGES }, (_, i) => ({ name: 'say', data: { i } })))
    const end = Date.now() + 60_000
    while (times.length < MESSAGES && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    return {
      util: utilisation(times, RULES.perMinute, RULES.windowMs!),
      violations: windowViolations(times, RULES.perMinute, RULES.windowMs!),
    }
  } finally {
    await worker.close()
    await queue.obliterate({ force: true })
    await queue.close()
    await connection.quit()
  }
}

/** Achieved send rate per account as a fraction of the cap, alternating with the baseline. */
export async function benchPacing(): Promise<BenchRow[]> {
  const shapes: Shape[] = ['messages', 'pages']
  const q = new Map<Shape, Awaited<ReturnType<typeof runQuanqun>>[]>(shapes.map((x) => [x, []]))
  const b: Awaited<ReturnType<typeof runBullmq>>[] = []
  for (let round = 0; round < 2; round++) {
    b.push(await runBullmq())
    for (const shape of shapes) q.get(shape)!.push(await runQuanqun(shape))
  }
  const bUtil = median(b.map((r) => r.util))
  const bViolations = b.reduce((n, r) => n + r.violations, 0)
  return shapes.map((shape) => {
    const runs = q.get(shape)!
    const qUtil = median(runs.map((r) => r.util))
    const qViolations = runs.reduce((n, r) => n + r.violations + r.roomViolations, 0)
    return {
      bench: 'pacing',
      metric: `send rate / cap (${RULES.perMinute} per ${RULES.windowMs! / 1000} s, room gap ${RULES.roomGapMs} ms), ${shape === 'pages' ? 'notices as pages' : 'one job per message'}`,
      quanqun: `${qUtil.toFixed(2)}, ${qViolations} violations`,
      baseline: `${bUtil.toFixed(2)}, ${bViolations} violations (BullMQ fixed-window limiter)`,
      ratio: (qUtil / bUtil).toFixed(2),
      target: '≥ 0.9 of cap, 0 violations',
      met: qUtil >= 0.9 && qViolations === 0,
    }
  })
}
