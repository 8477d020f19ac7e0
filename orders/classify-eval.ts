/**
 * Measuring the classifier on a labelled file, pure: `<category code> TAB <text>` per line (blank
 * lines and lines starting with # skipped). An order nothing matches counts as the fallback
 * category, as intake places it.
 */
import { type Category, FALLBACK_CATEGORY } from './catalogue.ts'
import { classify, type LearnedExample, menuOf, unsure } from './classify.ts'

export interface EvalLine {
  /** 1-based line number in the file. */
  line: number
  expected: string
  text: string
}

/** The labelled lines, or the problems (unknown code, no tab) as `第 N 行: …`. */
export function parseEvalFile(
  content: string,
  codes: ReadonlySet<string>,
): { lines: EvalLine[]; errors: string[] } {
  const lines: EvalLine[] = []
  const errors: string[] = []
  content.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '' || raw.startsWith('#')) return
    const tab = raw.indexOf('\t')
    const expected = tab < 0 ? '' : raw.slice(0, tab).trim()
    const text = tab < 0 ? '' : raw.slice(tab + 1).trim()
    if (expected === '' || text === '') errors.push(`第 ${i + 1} 行: 应为「类别代码<TAB>内容」`)
    else if (!codes.has(expected)) errors.push(`第 ${i + 1} 行: 未知类别 ${expected.slice(0, 40)}`)
    else lines.push({ line: i + 1, expected, text })
  })
  return { lines, errors }
}

export interface EvalReport {
  total: number
  correct: number
  /** Per expected category, worst accuracy first. */
  categories: { code: string; total: number; correct: number }[]
  misses: (EvalLine & { got: string; confidence: number })[]
  /**
   * What residents meet in a group (intake asks back when unsure, unless the guess is the
   * fallback): asked with the first choice right, asked with the right one further down the
   * menu, asked without it on the menu; and placed wrong without asking.
   */
  asked: { right: number; onMenu: number; offMenu: number }
  wrongUnasked: number
}

export function evaluate(
  lines: readonly EvalLine[],
  categories: readonly Category[],
  examples: readonly LearnedExample[] = [],
): EvalReport {
  const per = new Map<string, { code: string; total: number; correct: number }>()
  const misses: EvalReport['misses'] = []
  const asked = { right: 0, onMenu: 0, offMenu: 0 }
  let wrongUnasked = 0
  for (const l of lines) {
    const c = classify(l.text, categories, examples)
    const got = c?.category.code ?? FALLBACK_CATEGORY
    const row = per.get(l.expected) ?? { code: l.expected, total: 0, correct: 0 }
    per.set(l.expected, row)
    row.total++
    const right = got === l.expected
    if (right) row.correct++
    else misses.push({ ...l, got, confidence: c?.confidence ?? 0 })
    if (c && got !== FALLBACK_CATEGORY && unsure(c)) {
      if (right) asked.right++
      else if (menuOf(c).some((m) => m.code === l.expected)) asked.onMenu++
      else asked.offMenu++
    } else if (!right) wrongUnasked++
  }
  const rows = [...per.values()].sort(
    (a, b) => a.correct / a.total - b.correct / b.total || a.code.localeCompare(b.code),
  )
  return {
    total: lines.length,
    correct: lines.length - misses.length,
    categories: rows,
    misses,
    asked,
    wrongUnasked,
  }
}

const percent = (n: number, of: number) => `${of === 0 ? '0.0' : ((100 * n) / of).toFixed(1)} %`

// How many of the worst categories the report names on its second line.
const WORST = 3

/** The report as printed by `quanqun classify --eval`. */
export function formatReport(r: EvalReport): string[] {
  const asked = r.asked.right + r.asked.onMenu + r.asked.offMenu
  const worst = r.categories
    .filter((c) => c.correct < c.total)
    .slice(0, WORST)
    .map((c) => `${c.code} ${percent(c.correct, c.total)}（${c.correct}/${c.total}）`)
  return [
    `准确率 ${percent(r.correct, r.total)}（${r.correct}/${r.total}）`,
    // The line a reader looks for first: where the catalogue's examples need work.
    `最差的类别：${worst.join('，') || '无（全部分对）'}`,
    ...r.categories.map(
      (c) => `${c.code}\t${percent(c.correct, c.total)}\t${c.correct}/${c.total}`,
    ),
    `问回 ${asked} 行（首选已对 ${r.asked.right}，菜单里有对的 ${r.asked.onMenu}，菜单里没有 ${r.asked.offMenu}）；未问回而分错 ${r.wrongUnasked} 行（${percent(r.wrongUnasked, r.total)}）`,
    ...(r.misses.length ? ['分错的行：'] : []),
    ...r.misses.map(
      (m) => `第 ${m.line} 行\t${m.expected} → ${m.got} (${m.confidence})\t${m.text}`,
    ),
  ]
}
