// `npm run bench [name…]`: runs the benchmarks (all by default) and prints one table. Each
// benchmark measures quanqun and its baseline side by side in the same run: ratios, not absolute
// times, are the result on a noisy machine.
import { benchBotMemory } from './bot-memory.ts'
import { benchCity } from './city.ts'
import { benchClassify } from './classify.ts'
import { benchConsole } from './console.ts'
import { benchFanout } from './fanout.ts'
import { benchIntake } from './intake.ts'
import { benchPacing } from './pacing.ts'
import type { BenchRow } from './support.ts'

const benches: Record<string, () => Promise<BenchRow[]>> = {
  fanout: benchFanout,
  intake: benchIntake,
  memory: benchBotMemory,
  pacing: benchPacing,
  console: benchConsole,
  classify: benchClassify,
  city: benchCity,
}

const wanted = process.argv.slice(2)
const unknown = wanted.filter((w) => !(w in benches))
if (unknown.length) {
  process.stderr.write(
    `unknown bench: ${unknown.join(', ')} (have: ${Object.keys(benches).join(', ')})\n`,
  )
  process.exit(2)
}
const rows: BenchRow[] = []
const started = Date.now()
for (const [name, bench] of Object.entries(benches)) {
  if (wanted.length && !wanted.includes(name)) continue
  process.stderr.write(`running ${name}…\n`)
  rows.push(...(await bench()))
}

const header: BenchRow = {
  bench: 'bench',
  metric: 'metric',
  quanqun: 'quanqun',
  baseline: 'baseline',
  ratio: 'ratio',
  target: 'target',
  met: undefined,
}
const cols = ['bench', 'metric', 'quanqun', 'baseline', 'ratio', 'target'] as const
const width = (c: (typeof cols)[number]) => Math.max(...[header, ...rows].map((r) => r[c].length))
// A row without a target (e.g. peak RSS) is a figure to read, not a pass or a miss.
const verdict = (r: BenchRow) =>
  r === header ? 'met' : r.met === undefined ? '' : r.met ? 'yes' : 'NO'
const line = (r: BenchRow) =>
  `${cols.map((c) => r[c].padEnd(width(c))).join(' | ')} | ${verdict(r)}`
process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`)
process.stdout.write(
  `(${((Date.now() - started) / 1000).toFixed(0)} s, ${new Date().toISOString()})\n`,
)
process.exit(0)
