import { generatedDistrict } from './district.ts'
import type { FanoutResult } from './fanout-child.ts'
import { type BenchRow, fmt, median, runChild } from './support.ts'

/**
 * One notice to the root of the 11,181-group district on 22 mock accounts, pacing off: confirm →
 * every delivery row sent and every mock room holding it, against raw BullMQ moving the same
 * number of no-op jobs through 22 queues at concurrency 1, and against the floor of the work (the
 * mock says alone, serialised per account as the send workers are). Alternating, three rounds, medians;
 * quanqun runs in a process of its own so its peak RSS is its own.
 */
export async function benchFanout(): Promise<BenchRow[]> {
  const district = await generatedDistrict()
  try {
    const r = await runChild<FanoutResult>('./fanout-child.ts', [], {
      BENCH_DATABASE_URL: district.url,
    })
    // Not a way to run quanqun: the same rounds with the delivery ledger's hooks left out (no gate,
    // no row written sent), to show how close the queues alone come to the floor.
    const bare = await runChild<FanoutResult>('./fanout-child.ts', [], {
      BENCH_DATABASE_URL: district.url,
      BENCH_NO_HOOKS: '1',
      BENCH_NO_BASELINE: '1',
    })
    // Never skipped here (BENCH_NO_BASELINE is the city bench's).
    const baselineMs = r.rounds.map((x) => x.baselineMs ?? Number.NaN)
    const q = median(r.rounds.map((x) => x.quanqunMs)) / 1000
    const b = median(baselineMs) / 1000
    const f = median(r.rounds.map((x) => x.floorMs)) / 1000
    const ratio = b / q
    const floorRatio = f / q
    const seconds = (values: number[]) => values.map((v) => (v / 1000).toFixed(1)).join(', ')
    const bareQ = median(bare.rounds.map((x) => x.quanqunMs)) / 1000
    const bareF = median(bare.rounds.map((x) => x.floorMs)) / 1000
    return [
      {
        bench: 'fan-out',
        metric: `confirm → ${fmt(r.rounds[0]!.groups)} groups sent on ${r.accounts} accounts, s (median of ${r.rounds.length}: ${seconds(r.rounds.map((x) => x.quanqunMs))})`,
        quanqun: q.toFixed(1),
        baseline: `${b.toFixed(1)} (raw BullMQ addBulk, ${r.accounts} queues × concurrency 1; ${seconds(baselineMs)})`,
        ratio: ratio.toFixed(2),
        target: 'ratio ≥ 0.5 (goal 0.8)',
        met: ratio >= 0.5,
      },
      {
        bench: 'fan-out',
        metric: `the same groups, s: quanqun against the floor of the work (each account's says in turn, no queues or ledger; ${seconds(r.rounds.map((x) => x.floorMs))})`,
        quanqun: q.toFixed(1),
        baseline: `${f.toFixed(1)} (floor)`,
        ratio: floorRatio.toFixed(2),
        target: 'floor ÷ quanqun ≥ 0.8',
        met: floorRatio >= 0.8,
      },
      {
        bench: 'fan-out',
        metric: `the same without the delivery ledger (no gate before a say, no row written sent: not a way to run it, the share of the gap that is not the ledger's; ${seconds(bare.rounds.map((x) => x.quanqunMs))}, floor ${seconds(bare.rounds.map((x) => x.floorMs))})`,
        quanqun: bareQ.toFixed(1),
        baseline: `${bareF.toFixed(1)} (floor)`,
        ratio: (bareF / bareQ).toFixed(2),
        target: '(diagnostic)',
        met: undefined,
      },
      {
        bench: 'fan-out',
        metric: 'peak RSS of that process (mock WeChat, 22 bots, workers, baseline), MB',
        quanqun: fmt(r.peakRssMB),
        baseline: '',
        ratio: '',
        target: '',
        met: undefined,
      },
    ]
  } finally {
    await district.close()
  }
}
