import { randomBytes } from 'node:crypto'
import { groups } from '../db/schema/network.ts'
import { generatedDistrict } from './district.ts'
import { type BenchRow, fmt, median, runChild } from './support.ts'

/** One bot-memory-child.ts run, as it prints it. */
export interface MemoryMeasure {
  mode: string
  rooms: number
  /** Seconds from login until every room is registered (quanqun: bound to its group). */
  registeredS: number
  /** After a few full collections (bot-memory-child.ts): the process as it runs for weeks. */
  rssMB: number
  /** Right after every room is registered. */
  startupRssMB: number
  /** The process's maximum RSS over its life. */
  peakRssMB: number
}

/**
 * RSS of one process holding every room of the 11,181-group district on 22 mock accounts: quanqun's
 * bots (room registry, send workers, message pipeline) against bare Wechaty instances on the same
 * mock rooms, alternating, two rounds each.
 */
export async function benchBotMemory(): Promise<BenchRow[]> {
  const district = await generatedDistrict()
  try {
    const quanqun: MemoryMeasure[] = []
    const bare: MemoryMeasure[] = []
    for (let round = 0; round < 2; round++) {
      const env = {
        BENCH_DATABASE_URL: district.url,
        BENCH_PREFIX: `qqb-${randomBytes(4).toString('hex')}`,
      }
      bare.push(await runChild<MemoryMeasure>('./bot-memory-child.ts', ['bare'], env))
      // Each quanqun run binds the rooms afresh, as a restarted bot process would.
      await district.db.update(groups).set({ roomId: null })
      quanqun.push(await runChild<MemoryMeasure>('./bot-memory-child.ts', ['quanqun'], env))
    }
    const q = median(quanqun.map((m) => m.rssMB))
    const b = median(bare.map((m) => m.rssMB))
    const startAndPeak = (ms: MemoryMeasure[]) =>
      `${fmt(median(ms.map((m) => m.startupRssMB)))} / ${fmt(median(ms.map((m) => m.peakRssMB)))}`
    return [
      {
        bench: 'bot memory',
        metric: `RSS, ${fmt(quanqun[0]!.rooms)} rooms on 22 mock accounts, settled (MB)`,
        quanqun: fmt(q),
        baseline: `${fmt(b)} (bare Wechaty)`,
        ratio: (b / q).toFixed(2),
        target: 'quanqun ≤ 300 MB',
        met: q <= 300,
      },
      {
        bench: 'bot memory',
        metric: 'RSS straight after start-up, before any full GC / peak RSS (MB)',
        quanqun: startAndPeak(quanqun),
        baseline: startAndPeak(bare),
        ratio: '',
        target: '',
        met: undefined,
      },
      {
        bench: 'bot memory',
        metric: 'start-up: login → every room registered (quanqun: bound to its group), s',
        quanqun: fmt(median(quanqun.map((m) => m.registeredS)), 1),
        baseline: fmt(median(bare.map((m) => m.registeredS)), 1),
        ratio: '',
        target: '',
        met: undefined,
      },
    ]
  } finally {
    await district.close()
  }
}
