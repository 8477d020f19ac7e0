/**
 * Text → category by keyword scoring. Pure: the caller passes the catalogue. Residents write
 * "楼道灯坏了好几天了😭", "ＸＸ老人想买药", "邻居装修吵"; a match anywhere counts, longer keywords
 * weigh more (量血压 says more than 血压), and a keyword inside a longer matched one of the same
 * category is not counted twice.
 */
import type { Category } from './catalogue.ts'

export interface Classification {
  category: Category
  score: number
  /** The keywords that decided it, longest first (for logs and the station's eyes). */
  matched: string[]
}

/** What keywords are compared against: NFKC, lower case, no whitespace or punctuation. */
export function matchText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '')
}

// Beyond this many code points a message is a paste; its head says what it is about, and
// scanning a bounded string keeps classification linear and cheap on hostile input.
const MAX_SCAN = 2_000

// Keywords as compared, per catalogue row: the catalogue is cached, so this is done once.
const normalized = new WeakMap<readonly string[], string[]>()

function keywordsOf(category: Category): string[] {
  let found = normalized.get(category.keywords)
  if (!found) {
    found = category.keywords.map(matchText).filter((k) => k !== '')
    normalized.set(category.keywords, found)
  }
  return found
}

/** The best-scoring category, or undefined when no keyword matches (the caller falls back). */
export function classify(
  text: string,
  categories: readonly Category[],
): Classification | undefined {
  const haystack = matchText(text.slice(0, MAX_SCAN))
  if (haystack === '') return undefined
  let best: Classification | undefined
  for (const category of categories) {
    const found = keywordsOf(category).filter((k) => haystack.includes(k))
    if (found.length === 0) continue
    const matched = found
      .filter((k) => !found.some((other) => other !== k && other.includes(k)))
      .sort((a, b) => b.length - a.length)
    const score = matched.reduce((sum, k) => sum + [...k].length, 0)
    // Ties go to the category listed first: the catalogue's order is its priority.
    if (!best || score > best.score) best = { category, score, matched }
  }
  return best
}
