/**
 * A chat message as the parser holds it, and the small helpers it reads it with. Text here has
 * been through normalizeMessage (core/text.ts), so its only whitespace is ' ' and '\n'.
 */
import type { Intent, ParseResult } from './types.ts'

/**
 * A message as two aligned strings (see normalizeMessage): `f` is matched, `raw` is what free
 * text is cut from. Every slice and edit is applied to both.
 */
export interface View {
  raw: string
  f: string
}

export const sliceView = (v: View, start: number, end?: number): View => ({
  raw: v.raw.slice(start, end),
  f: v.f.slice(start, end),
})

const SEPARATORS = ' \n:,、;~-—–'
/** Punctuation that ends a sentence, not a name or path: dropped from their end. */
export const TRAILING_PUNCT = /[,.:;!?。、…~]+$/

export function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n'
}

export function skipSeparators(s: string, pos: number): number {
  let i = pos
  while (i < s.length && SEPARATORS.includes(s[i]!)) i++
  return i
}

/** End of the token at `pos`: the next whitespace or ':' ("石桥铺街道：明天停水"). */
export function tokenEnd(s: string, pos: number): number {
  let i = pos
  while (i < s.length && !isSpace(s[i]) && s[i] !== ':') i++
  return i
}

export function hasWordChars(s: string): boolean {
  return /[\p{L}\p{N}]/u.test(s)
}

/** Free text from `pos` in the author's characters, leading separators dropped; '' if unreadable. */
export function cleanText(v: View, pos: number): string {
  const text = v.raw.slice(skipSeparators(v.f, pos)).trim()
  return /[\p{L}\p{N}\p{So}]/u.test(text) ? text : ''
}

export function invalid(intent: Intent, hint: string): ParseResult {
  return { kind: 'invalid', intent, hint }
}
