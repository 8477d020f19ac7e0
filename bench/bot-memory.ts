import { randomBytes } from 'node:crypto'
import { groups } from '../db/schema/network.ts'
import { generatedDistrict } from './district.ts'
import { type BenchRow, fmt, median, runChild } from './support.ts'

interface Measure {
  mode: string
  rooms: number
  rssMB: number
}

/**
 * RSS of one process holding every room of the 11,181-group district on 22 mock accounts: quanqun's
 * bots (room registry, send workers, message pipeline) against bare Wechaty instances on the same
 * mock rooms, alternating, two rounds each.
 */
export async function benchBotMemory(): Promise<BenchRow[]> {
  const district = await generatedDistrict()
  try {
    const quanqun: Measure[] = []
    const bare: Measure[] = []
    for (let round = 0; round < 2; round++) {
      const env = {
        BENCH_DATABASE_URL: district.url,
        BENCH_PREFIX: `qqb-${randomBytes(4).toString('hex')}`,
      }
      bare.push(await runChild<Measure>('./bot-memory-child.ts', ['bare'], env))
      // Each quanqun run binds the rooms afresh, as a restarted bot process would.
      await district.db.update(groups).set({ roomId: null })
      quanqun.push(await runChild<Measure>('./bot-memory-child.ts', ['quanqun'], env))
    }
    const q = median(quanqun.map((m) => m.rssMB))
    const b = median(bare.map((m) => m.rssMB))
    return [
      {
        bench: 'bot memory',
        metric: `RSS, ${fmt(quanqun[0]!.rooms)} rooms on 22 mock accounts (MB)`,
        quanqun: fmt(q),
        baseline: `${fmt(b)} (bare Wechaty)`,
        ratio: (b / q).toFixed(2),
        target: 'quanqun ≤ 300 MB',
        met: q <= 300,
      },
    ]
  } finally {
    await district.close()
  }
}
