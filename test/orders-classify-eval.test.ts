import { spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { classifyCli } from '../cli/commands/classify.ts'
import { fileCategories, readCatalogFile } from '../orders/catalogue.ts'
import { matchText } from '../orders/classify.ts'
import { type EvalLine, evaluate, formatReport, parseEvalFile } from '../orders/classify-eval.ts'
import { runCli } from './support/cli.ts'

// Residents' order texts (elderly register, Chongqing speech, typos, emoji, voice input without
// punctuation, several needs in a line), labelled by hand, in three files. The dev sets are what the
// catalogue's examples and the scoring were tuned on (dev-2 was the held-out set of the first
// round, seen once it was measured); the held-out set was written afresh before the next round
// and never read while tuning, so its figure is the one that says how residents fare. None shares
// a line with the catalogue's examples (asserted below).
const DEV = new URL('./corpus/orders-dev.tsv', import.meta.url).pathname
const DEV_2 = new URL('./corpus/orders-dev-2.tsv', import.meta.url).pathname
const HELD_OUT = new URL('./corpus/orders-heldout.tsv', import.meta.url).pathname
// Floors just under the accuracy last measured, so a drop fails. Held-out (second round): 301/347
// (86.7 %) before its tuning and 301/347 after it (one line gained, one lost), short of the issue's
// 95 % (worst: facility-renovation, media, legal-advice). Dev: 343/345 (99.4 %) both times; dev-2:
// 323/359 (90.0 %, the first round's held-out figure) → 345/359 (96.1 %); figures the tuning read,
// so they say little.
const DEV_ACCURACY = 0.99
const DEV_2_ACCURACY = 0.95
const HELD_OUT_ACCURACY = 0.86

const file = await readCatalogFile()
const categories = fileCategories(file)
const codes = new Set(categories.map((c) => c.code))
const dev = parseEvalFile(await readFile(DEV, 'utf8'), codes)
const dev2 = parseEvalFile(await readFile(DEV_2, 'utf8'), codes)
const heldOut = parseEvalFile(await readFile(HELD_OUT, 'utf8'), codes)
const examples = file.categories.flatMap((c) => c.examples.map(matchText))

/** The lines of `lines` equal to, inside, or holding one of `others` (normalized). */
const overlapping = (lines: readonly EvalLine[], others: readonly string[]) =>
  lines.filter((l) => {
    const t = matchText(l.text)
    return others.some((o) => o === t || t.includes(o) || o.includes(t))
  })

describe.each([
  { name: 'held-out', corpus: heldOut, floor: HELD_OUT_ACCURACY },
  { name: 'dev', corpus: dev, floor: DEV_ACCURACY },
  { name: 'dev-2', corpus: dev2, floor: DEV_2_ACCURACY },
])('the $name order corpus', ({ name, corpus: { lines, errors }, floor }) => {
  it('holds at least 300 labelled lines, at least 15 in every category, well formed', () => {
    expect(errors).toEqual([])
    expect(lines.length).toBeGreaterThanOrEqual(300)
    for (const code of codes) {
      expect(lines.filter((l) => l.expected === code).length, code).toBeGreaterThanOrEqual(15)
    }
  })

  it('shares no line with the catalogue examples (nor holds one whole)', () => {
    expect(overlapping(lines, examples)).toEqual([])
  })

  it(`is classified right at least ${floor * 100} % of the time`, () => {
    const report = evaluate(lines, categories)
    const accuracy = report.correct / report.total
    // Printed so a run shows the figure and every category's, worst first (as --eval prints it,
    // without the misclassified lines).
    const [total, worst, ...rest] = formatReport(report)
    console.info([`${name} ${total}`, worst, ...rest.slice(0, report.categories.length)].join('\n'))
    expect(accuracy).toBeGreaterThanOrEqual(floor)
  })
})

it('keeps the held-out set apart from the dev sets', () => {
  expect(
    overlapping(
      heldOut.lines,
      [...dev.lines, ...dev2.lines].map((l) => matchText(l.text)),
    ),
  ).toEqual([])
})

it('has no catalogue example that is a near copy of a held-out line', () => {
  // Half the character bigrams in common is a paraphrase, not the same need in other words:
  // the examples were written without the held-out lines, and must not drift towards them.
  const bigrams = (text: string) => {
    const t = matchText(text)
    return new Set(Array.from({ length: Math.max(0, t.length - 1) }, (_, i) => t.slice(i, i + 2)))
  }
  const likeness = (a: Set<string>, b: Set<string>) => {
    let shared = 0
    for (const g of a) if (b.has(g)) shared++
    return shared / (a.size + b.size - shared || 1)
  }
  const exampleGrams = file.categories.flatMap((c) => c.examples.map((e) => ({ e, g: bigrams(e) })))
  const near = heldOut.lines.flatMap((l) => {
    const g = bigrams(l.text)
    return exampleGrams.filter((x) => likeness(g, x.g) >= 0.5).map((x) => `${l.text} ≈ ${x.e}`)
  })
  expect(near).toEqual([])
})

describe('quanqun classify', () => {
  it('prints the category, confidence and runners-up as JSON', async () => {
    const { code, lines: out } = await runCli(classifyCli, {}, ['屋头燃气味好大'])
    expect(code).toBe(0)
    const json = JSON.parse(out[0]!)
    expect(json).toMatchObject({ category: 'safety-hazard', safety: true })
    expect(json.confidence).toBeGreaterThan(0.5)
    expect(json.alternatives).toHaveLength(3)
    expect(json.alternatives[0]).toEqual({
      category: expect.any(String),
      confidence: expect.any(Number),
    })
  })

  it('--eval prints the accuracy per category and the misclassified lines', async () => {
    const path = join(tmpdir(), `eval-${process.pid}.tsv`)
    await writeFile(path, '# test\nfacility-repair\t楼道灯坏了\nlegal-advice\t楼道灯坏了\n\n')
    const { code, lines: out } = await runCli(classifyCli, {}, [], { eval: path })
    expect(code).toBe(0)
    expect(out[0]).toBe('准确率 50.0 %（1/2）')
    expect(out[1]).toBe('最差的类别：legal-advice 0.0 %（0/1）')
    expect(out).toContain('legal-advice\t0.0 %\t0/1')
    expect(out.at(-1)).toMatch(/^第 3 行\tlegal-advice → facility-repair .*\t楼道灯坏了$/)
  })

  it('--eval piped into a reader that stops early ends quietly, without an EPIPE stack', () => {
    // bash's pipefail gives the CLI's own status; head closes after one line of many.
    const bin = new URL('../bin/quanqun.js', import.meta.url).pathname
    const run = spawnSync(
      'bash',
      ['-o', 'pipefail', '-c', `node ${bin} classify --eval ${HELD_OUT} | head -1`],
      { encoding: 'utf8', timeout: 60_000 },
    )
    expect(run.stdout).toMatch(/^准确率 /)
    expect(run.stderr).not.toMatch(/EPIPE|Error/)
    expect(run.status).toBe(0)
  })

  it('refuses a file with an unknown category or no tab, naming the line', async () => {
    const path = join(tmpdir(), `eval-bad-${process.pid}.tsv`)
    await writeFile(path, 'nope\t楼道灯坏了\n楼道灯坏了\n')
    await expect(runCli(classifyCli, {}, [], { eval: path })).rejects.toThrow(
      /第 1 行: 未知类别 nope\n第 2 行/,
    )
    await expect(runCli(classifyCli, {}, [])).rejects.toThrow(/请给出内容/)
  })
})
