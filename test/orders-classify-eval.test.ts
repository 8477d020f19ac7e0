import { spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { classifyCli } from '../cli/commands/classify.ts'
import { fileCategories, readCatalogFile } from '../orders/catalogue.ts'
import { classify, matchText, menuOf, unsure } from '../orders/classify.ts'
import { type EvalLine, evaluate, formatReport, parseEvalFile } from '../orders/classify-eval.ts'
import { runCli } from './support/cli.ts'

// Residents' order texts (elderly register, Chongqing speech, typos, emoji, voice input without
// punctuation, several needs in a line), labelled by hand. Each set was written fresh as a held-out
// set, before a round of tuning, and became a dev set once measured: what the catalogue's examples
// and the scoring are tuned on, so their figures say little about residents' next lines. A
// held-out set is one more entry here, written apart and never read while tuning; its figure is the
// one that says how residents fare. No corpus shares a line with another or with the catalogue's
// examples, and none but the first (which predates the rule) is near a catalogue example (both
// asserted below).
// Floors just under the accuracy last measured, so a drop fails. Third round (examples from 38 to
// 80-130 a category, written from each category's whole domain): dev 343/345 → 343/345, dev-2
// 345/359 → 356/359, dev-3 (the second round's held-out set, 301/347 when it was measured) →
// 342/347. The third round's held-out set (388 lines, written by someone who saw neither the
// examples nor the other corpora, committed before the round's tuning began) measured once at the
// round's end: 364/388 (93.8 %), short of the 95 % (worst: media 15/18, civility 16/19).
// Lines that by chance met a dev line or an example were then taken out, whatever their result,
// and 14 fresh ones added (measured once on arrival): 352/376 (93.6 %), as the file's header says.
// It is now dev-4, what the fourth round tuned on. Fourth round (the danger words of a talk do not
// count as keywords; examples for the sub-needs its misses found neglected, written without its
// lines): dev 343/345 → 343/345, dev-2 356/359 → 357/359, dev-3 342/347 → 345/347, dev-4 352/376
// → 375/376 (a dev figure now: its misses were what the examples were written for). The fourth
// round's held-out set (440 lines, written apart, committed before the round's tuning was merged)
// measured once at its end: 415/440 (94.3 %), short of the 95 % (worst: civility 14/23);
// without the lines that by chance met a dev line or an example, 400/425 (94.1 %). It is now
// dev-5. Fifth round (the kind of help asked, the catalogue's `asks`, outweighs what a line
// names): dev-5 400/425 → 405/425, the other dev sets unchanged. The fifth round's held-out set
// (440 lines, written apart, committed before the round's tuning) measured once at its end:
// 403/440 (91.6 %; the same 403 without the asks), short of 95 % (worst: general 14/20,
// facility-renovation 16/21, civility 17/21); without the 38 lines that by chance met a dev line or
// an example (all right), 365/402 (90.8 %). It is now dev-6. Sixth round (examples, synonyms and
// asks for the sub-needs dev-6's misses showed neglected, in every category; a danger told as a
// later need of its own after a talk is one): dev 345/345 (its line of dancing speakers at ten at
// night now civility, as dev-4 and dev-5 have it), dev-2 358/359, dev-5 416/425, dev-6
// 398/402, the others unchanged. Its held-out set (440 lines, written apart, committed before the
// round's tuning was merged) measured once at its end: 402/440 (91.4 %; 394/440 with the fifth
// round's catalogue); without the 41 lines that met a dev line or an example by chance, 361/399
// (90.5 %). Short of 95 % (worst: facility-repair 15/21, civility 16/21). It is now dev-7.
// Seventh round (examples for every category's areas no example covered, 2,308 → 2,522; synonyms
// and asks likewise): dev-7 361/399 → 390/399, dev 345 → 344/345 (a near tie: 两口子天天打架
// 请社区来劝一下), the others unchanged or up. Two fresh sets, each written apart and committed
// before the round's tuning was merged, measured once with its catalogue: held-out-7 424/440
// (96.4 %; 422/440 with round 6's) and held-out-8 415/440 (94.3 %); without the lines that met a
// dev line or an example by chance, 399/415 (96.1 %) and 389/414 (94.0 %): 788/829 (95.1 %)
// together; with 10 general lines held-out-8 lacked then (written apart, 8 right), 397/424
// (93.6 %) and 796/839 (94.9 %). Their writers were told the labelling rule as binding (a danger
// present now is safety-hazard even in a request to persuade), which round 6's writer was not.
// They are now dev-8 and dev-9. Eighth round (examples for the areas their misses showed
// neglected, and beyond, 2,522 → 2,727): dev-8 399 → 410/415, dev-9 389 → 404/414 (before its 10
// general lines), no dev set lost a line. Its held-out set (440 lines, written apart, committed
// before the round's tuning was merged) measured once at its end: 417/440 (94.8 %; 415/440 with
// round 7's catalogue); without the 25 lines that met a dev line or an example by chance, 393/415
// (94.7 %). Short of 95 % (worst: safety-hazard 17/21). It is now dev-10. Ninth round (dangers
// told without a danger word as `urgent` phrases: 电线吊下, 越裂越 …; gas and power paperwork,
// 燃气开户, is no danger; examples for dev-10's neglected areas): dev-10 393 → 404/415, no dev set
// lost a line. Its held-out set (460 lines, written apart, committed before the round's tuning was
// merged) measured once at its end: 442/460 (96.1 %; 439/460 with round 8's catalogue); without
// the 27 lines that met a dev line or an example by chance, 415/433 (95.8 %): the 95 %.
const CORPORA = [
  { name: 'held-out', file: 'orders-heldout-10.tsv', floor: 0.95 },
  { name: 'dev', file: 'orders-dev.tsv', floor: 0.99, nearCopies: true },
  { name: 'dev-2', file: 'orders-dev-2.tsv', floor: 0.99 },
  { name: 'dev-3', file: 'orders-dev-3.tsv', floor: 0.99 },
  { name: 'dev-4', file: 'orders-dev-4.tsv', floor: 0.99 },
  { name: 'dev-5', file: 'orders-dev-5.tsv', floor: 0.97 },
  { name: 'dev-6', file: 'orders-dev-6.tsv', floor: 0.98 },
  { name: 'dev-7', file: 'orders-dev-7.tsv', floor: 0.97 },
  { name: 'dev-8', file: 'orders-dev-8.tsv', floor: 0.98 },
  { name: 'dev-9', file: 'orders-dev-9.tsv', floor: 0.95 },
  { name: 'dev-10', file: 'orders-dev-10.tsv', floor: 0.96 },
]

const file = await readCatalogFile()
const categories = fileCategories(file)
const codes = new Set(categories.map((c) => c.code))
const corpora = await Promise.all(
  CORPORA.map(async (c) => {
    const path = new URL(`./corpus/${c.file}`, import.meta.url).pathname
    return { ...c, path, ...parseEvalFile(await readFile(path, 'utf8'), codes) }
  }),
)
const examples = file.categories.flatMap((c) => c.examples.map(matchText))

/** The lines of `lines` equal to, inside, or holding one of `others` (normalized). */
const overlapping = (lines: readonly EvalLine[], others: readonly string[]) =>
  lines.filter((l) => {
    const t = matchText(l.text)
    return others.some((o) => o === t || t.includes(o) || o.includes(t))
  })

describe.each(corpora)('the $name order corpus', ({ name, lines, errors, floor, nearCopies }) => {
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

  it('shares no line with another corpus', () => {
    const others = corpora.filter((c) => c.name !== name).flatMap((c) => c.lines)
    expect(
      overlapping(
        lines,
        others.map((l) => matchText(l.text)),
      ),
    ).toEqual([])
  })

  it.skipIf(nearCopies)('has no catalogue example that is a near copy of one of its lines', () => {
    // Half the character bigrams in common is a paraphrase, not the same need in other words:
    // the examples were written without these lines, and must not drift towards them.
    const bigrams = (text: string) => {
      const t = matchText(text)
      return new Set(Array.from({ length: Math.max(0, t.length - 1) }, (_, i) => t.slice(i, i + 2)))
    }
    const likeness = (a: Set<string>, b: Set<string>) => {
      let shared = 0
      for (const g of a) if (b.has(g)) shared++
      return shared / (a.size + b.size - shared || 1)
    }
    const exampleGrams = file.categories.flatMap((c) =>
      c.examples.map((e) => ({ e, g: bigrams(e) })),
    )
    const near = lines.flatMap((l) => {
      const g = bigrams(l.text)
      return exampleGrams.filter((x) => likeness(g, x.g) >= 0.5).map((x) => `${l.text} ≈ ${x.e}`)
    })
    expect(near).toEqual([])
  })

  it(`is classified right at least ${floor * 100} % of the time`, () => {
    const report = evaluate(lines, categories)
    const accuracy = report.correct / report.total
    // Printed so a run shows the figure and every category's, worst first (as --eval prints it,
    // without the misclassified lines).
    const [total, worst, ...rest] = formatReport(report)
    // With the line on asking back: what residents meet besides the first guess.
    const shown = rest.slice(0, report.categories.length + 1)
    console.info([`${name} ${total}`, worst, ...shown].join('\n'))
    expect(accuracy).toBeGreaterThanOrEqual(floor)
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
    expect(out[1]).toBe('最差的类别：legal-advice 0.0 %（0/1）')
    expect(out).toContain('legal-advice\t0.0 %\t0/1')
    expect(out.at(-1)).toMatch(/^第 3 行\tlegal-advice → facility-repair .*\t楼道灯坏了$/)
  })

  it('counts what residents meet: asked back with the right one first, further down, or not on the menu', () => {
    // A vague line is asked back; its menu is the classifier's, the labels are ours.
    const vague = '帮帮忙'
    const c = classify(vague, categories)!
    expect(unsure(c)).toBe(true)
    const [first, second] = menuOf(c).map((m) => m.code)
    const absent = [...codes].find((code) => !menuOf(c).some((m) => m.code === code))!
    const line = (expected: string, text: string, n: number) => ({ line: n, expected, text })
    const report = evaluate(
      [
        line(first!, vague, 1),
        line(second!, vague, 2),
        line(absent, vague, 3),
        line('legal-advice', '楼道灯坏了', 4),
        line('facility-repair', '楼道灯坏了', 5),
      ],
      categories,
    )
    expect(report.asked).toEqual({ right: 1, onMenu: 1, offMenu: 1 })
    expect(report.wrongUnasked).toBe(1)
    expect(formatReport(report)).toContain(
      '问回 3 行（首选已对 1，菜单里有对的 1，菜单里没有 1）；未问回而分错 1 行（20.0 %）',
    )
  })

  it('--eval piped into a reader that stops early ends quietly, without an EPIPE stack', () => {
    // bash's pipefail gives the CLI's own status; head closes after one line of many.
    const bin = new URL('../bin/quanqun.js', import.meta.url).pathname
    const run = spawnSync(
      'bash',
      ['-o', 'pipefail', '-c', `node ${bin} classify --eval ${corpora[0]!.path} | head -1`],
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
