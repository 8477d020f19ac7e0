/**
 * Who a message is addressed to: a WeChat quote-reply in front is dropped, and so are the
 * @mentions in front of the command and an @bot anywhere, noting whether the bot was mentioned.
 */
import { normalizeText } from '../../core/text.ts'
import { matchKeyword } from './keywords.ts'
import { isSpace, sliceView, type View } from './message-view.ts'

export function normalizeBotNames(names: readonly string[] | undefined): string[] {
  if (!Array.isArray(names)) return []
  return names
    .filter((name): name is string => typeof name === 'string')
    .map((name) => normalizeText(name.slice(0, 200)).replace(/^@+/, ''))
    .filter((name) => name !== '')
    .sort((a, b) => b.length - a.length)
}

/** A mention ends at whitespace, punctuation, the end, or where a keyword starts ("@助手点单"). */
function mentionEnds(s: string, i: number): boolean {
  const c = s[i]
  return (
    c === undefined || isSpace(c) || !/[\p{L}\p{N}]/u.test(c) || matchKeyword(s, i) !== undefined
  )
}

/**
 * Drops the @mentions in front of the command, and @bot anywhere else (a resident may write
 * "水管坏了 @圈群助手"). Bot names may hold spaces, so they are matched before other mentions,
 * which end at the first whitespace. Bot names are compared in NFKC form.
 */
export function stripMentions(
  message: View,
  botNames: readonly string[],
): { rest: View; mentionedBot: boolean } {
  const s = message.f
  let mentionedBot = false
  let i = 0
  while (s[i] === '@') {
    const name = botNames.find((n) => s.startsWith(n, i + 1) && mentionEnds(s, i + 1 + n.length))
    if (name !== undefined) {
      mentionedBot = true
      i += 1 + name.length
    } else {
      i++
      while (i < s.length && !isSpace(s[i])) i++
    }
    while (isSpace(s[i])) i++
  }
  let rest = sliceView(message, i)
  let removed = false
  for (const name of botNames) {
    const needle = `@${name}`
    const kept = { raw: '', f: '' }
    let from = 0
    for (let at = rest.f.indexOf(needle); at !== -1; at = rest.f.indexOf(needle, from)) {
      const end = at + needle.length
      const keepUntil = mentionEnds(rest.f, end) ? at : end
      if (keepUntil === at) removed = true
      kept.raw += rest.raw.slice(from, keepUntil)
      kept.f += rest.f.slice(from, keepUntil)
      from = end
    }
    rest = { raw: kept.raw + rest.raw.slice(from), f: kept.f + rest.f.slice(from) }
  }
  if (removed) {
    mentionedBot = true
    // Whitespace is identical in both views, so the same edits keep them aligned.
    const tidy = (t: string) =>
      t
        .replace(/ {2,}/g, ' ')
        .replace(/ ?\n ?/g, '\n')
        .trim()
    rest = { raw: tidy(rest.raw), f: tidy(rest.f) }
  }
  return { rest, mentionedBot }
}

// A WeChat quote-reply arrives as「张三：原话」, a dashed line, then the reply itself.
const QUOTE = /^「[\s\S]*?」\n(?:- ?){5,}(?:\n|$)/

/** The words of a quote-reply's quoted message (after 「张三：), or undefined when none. */
export function quotedText(text: string): string | undefined {
  const m = QUOTE.exec(text)
  if (!m) return undefined
  const inner = m[0].slice(1, m[0].indexOf('」\n'))
  const colon = inner.search(/[:：]/)
  const words = (colon >= 0 ? inner.slice(colon + 1) : inner).trim()
  return words === '' ? undefined : words
}

export function stripQuote(message: View): View {
  const m = QUOTE.exec(message.f)
  if (!m) return message
  const rest = sliceView(message, m[0].length)
  return { raw: rest.raw.trim(), f: rest.f.trim() }
}
