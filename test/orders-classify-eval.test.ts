import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { classifyCli } from '../cli/commands/classify.ts'
import { fileCategories, readCatalogFile } from '../orders/catalogue.ts'
import { matchText } from '../orders/classify.ts'
import { evaluate, parseEvalFile } from '../orders/classify-eval.ts'
import { runCli } from './support/cli.ts'

// Residents' order texts written for this test (elderly register, Chongqing speech, typos, emoji,
// voice input without punctuation, two needs in a line), labelled by hand. Held out: the
// catalogue's examples never see them (asserted below).
const CORPUS = new URL('./corpus/orders-heldout.tsv', import.meta.url).pathname
// The accuracy reached on it (325 of 345, 94.2 %, when written): a drop fails the suite.
const ACCURACY = 0.94

const file = await readCatalogFile()
const categories = fileCategories(file)
const codes = new Set(categories.map((c) => c.code))
const { lines, errors } = parseEvalFile(await readFile(CORPUS, 'utf8'), codes)

describe('the held-out order corpus', () => {
  it('holds at least 300 labelled lines across every category, well formed', () => {
    expect(errors).toEqual([])
    expect(lines.length).toBeGreaterThanOrEqual(300)
    for (const code of codes) {
      expect(lines.filter((l) => l.expected === code).length, code).toBeGreaterThanOrEqual(15)
    }
  })

  it('shares no line with the catalogue examples (nor holds one whole)', () => {
    const examples = file.categories.flatMap((c) => c.examples.map(matchText))
    const overlap = lines.filter((l) => {
      const t = matchText(l.text)
      return examples.some((e) => e === t || t.includes(e) || e.includes(t))
    })
    expect(overlap).toEqual([])
  })

  it(`is classified right at least ${ACCURACY * 100} % of the time`, () => {
    const report = evaluate(lines, categories)
    const accuracy = report.correct / report.total
    // Printed so a run shows the figure and the worst categories.
    console.info(
      `held-out accuracy ${(accuracy * 100).toFixed(1)} % (${report.correct}/${report.total}); worst: ${report.categories
        .slice(0, 4)
        .map((c) => `${c.code} ${c.correct}/${c.total}`)
        .join(', ')}`,
    )
    expect(accuracy).toBeGreaterThanOrEqual(ACCURACY)
  })
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
    expect(out).toContain('legal-advice\t0.0 %\t0/1')
    expect(out.at(-1)).toMatch(/^第 3 行\tlegal-advice → facility-repair .*\t楼道灯坏了$/)
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
