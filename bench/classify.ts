import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { type Category, fileCategories, readCatalogFile } from '../orders/catalogue.ts'
import { classify, matchText } from '../orders/classify.ts'
import { type BenchRow, fmt, percentile } from './support.ts'

const ROUNDS = 5_000
const WARM_UP = 500
const LENGTH = 2_000
const TARGET_MS = 1

/**
 * The keyword-only scorer classify.ts replaced (issue 18), kept here as the baseline: every
 * keyword looked for in the text, the longest matched ones summed.
 */
function keywordOnly(text: string, categories: readonly Category[]) {
  const haystack = matchText(text.slice(0, LENGTH))
  let best: { category: Category; score: number } | undefined
  for (const category of categories) {
    const found = category.keywords.map(matchText).filter((k) => k && haystack.includes(k))
    const score = found
      .filter((k) => !found.some((o) => o !== k && o.includes(k)))
      .reduce((sum, k) => sum + k.length, 0)
    if (score > 0 && (!best || score > best.score)) best = { category, score }
  }
  return best
}

/**
 * p99 time of one classification of a 2,000-character message (residents' lines from the third dev
 * corpus run together, a different cut each call), against the keyword-only scorer, alternating.
 */
export async function benchClassify(): Promise<BenchRow[]> {
  const categories = fileCategories(await readCatalogFile())
  const corpus = readFileSync(new URL('../test/corpus/orders-dev-3.tsv', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t') && !l.startsWith('#'))
    .map((l) => l.slice(l.indexOf('\t') + 1))
  const joined = corpus.join('，')
  const texts = Array.from({ length: 64 }, (_, i) => {
    const from = (i * 97) % (joined.length - LENGTH)
    return joined.slice(from, from + LENGTH)
  })
  const ours: number[] = []
  const theirs: number[] = []
  const oursCpu: number[] = []
  let sink = 0
  for (let i = 0; i < WARM_UP + ROUNDS; i++) {
    const text = texts[i % texts.length]!
    const cpu0 = process.cpuUsage()
    let t0 = performance.now()
    sink += classify(text, categories)?.confidence ?? 0
    const a = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    t0 = performance.now()
    sink += keywordOnly(text, categories)?.score ?? 0
    const b = performance.now() - t0
    if (i >= WARM_UP) {
      ours.push(a)
      theirs.push(b)
      oursCpu.push((cpu.user + cpu.system) / 1000)
    }
  }
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the calls from being optimised out')
  const p99 = percentile(ours, 99)
  const base = percentile(theirs, 99)
  const p50 = percentile(ours, 50)
  const cpuP99 = percentile(oursCpu, 99)
  return [
    {
      bench: 'classify',
      // Wall time on a box shared with other work reads the scheduler as much as the code: the
      // process's CPU time per call is printed beside it (${cpuP99}).
      metric: `ms per classification of a ${fmt(LENGTH)}-character message, p99 wall (p50 ${p50.toFixed(3)}; p99 CPU time ${cpuP99.toFixed(3)}), ${fmt(ROUNDS)} calls`,
      quanqun: p99.toFixed(3),
      baseline: `${base.toFixed(3)} (keyword-only scorer it replaced)`,
      ratio: (base / p99).toFixed(2),
      target: `p99 < ${TARGET_MS} ms`,
      met: p99 < TARGET_MS,
    },
  ]
}
