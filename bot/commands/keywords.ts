/**
 * Keyword matching: traditional and variant characters folded (grammar.ts `keywordVariants`),
 * spaces allowed between a keyword's characters ("点 单"), the longest keyword winning.
 */
import { type GrammarEntry, grammar, keywordVariants } from './grammar.ts'
import { isSpace } from './message-view.ts'
import type { Intent } from './types.ts'

export const fold = (c: string): string => keywordVariants[c] ?? c.toLowerCase()
export const foldString = (s: string): string => Array.from(s, fold).join('')

interface KeywordForm {
  entry: GrammarEntry
  folded: string
}

/**
 * Keyword forms by their first folded character, longest first so 确认发送 wins over 确认.
 * Built once at import; a keyword listed twice is a mistake in the table and fails start-up.
 */
const keywordIndex: ReadonlyMap<string, readonly KeywordForm[]> = (() => {
  const owner = new Map<string, Intent>()
  const index = new Map<string, KeywordForm[]>()
  for (const entry of grammar) {
    for (const keyword of entry.keywords) {
      const folded = foldString(keyword)
      if (folded === '' || /\s/.test(folded)) throw new Error(`grammar: bad keyword "${keyword}"`)
      const other = owner.get(folded)
      if (other) throw new Error(`grammar: keyword "${keyword}" of ${entry.intent} is ${other}'s`)
      owner.set(folded, entry.intent)
      const first = folded[0]!
      index.set(first, [...(index.get(first) ?? []), { entry, folded }])
    }
  }
  for (const forms of index.values()) forms.sort((a, b) => b.folded.length - a.folded.length)
  return index
})()

/** Matches a keyword at `start`, allowing spaces between its characters ("点 单"). */
export function matchKeyword(
  s: string,
  start: number,
): { entry: GrammarEntry; end: number } | undefined {
  const first = s[start]
  if (first === undefined) return undefined
  for (const form of keywordIndex.get(fold(first)) ?? []) {
    let i = start
    let k = 0
    for (; k < form.folded.length; k++) {
      if (k > 0) while (isSpace(s[i])) i++
      const c = s[i]
      if (c === undefined || fold(c) !== form.folded[k]) break
      i++
    }
    if (k === form.folded.length) return { entry: form.entry, end: i }
  }
  return undefined
}

export function startsWithFolded(s: string, pos: number, folded: string): boolean {
  if (pos + folded.length > s.length) return false
  for (let k = 0; k < folded.length; k++) if (fold(s[pos + k]!) !== folded[k]) return false
  return true
}
