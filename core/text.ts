/**
 * Text normalization, pure functions. Two rules, for two kinds of input:
 * - chat text (`normalizeText`, `normalizeMessage`): what residents type on phones (full-width
 *   letters, ideographic spaces, the U+2005 WeChat puts after an @mention, invisible characters
 *   pasted from other apps) becomes plain text the keyword grammar can match;
 * - names (`normalizeName`): unit names, group topics and ids read from a roster, where an
 *   invisible character is refused as an error rather than silently dropped.
 */

export interface NormalizeOptions {
  /**
   * Keep line breaks (a run of whitespace holding one line break becomes '\n', holding more
   * becomes '\n\n') instead of collapsing them to a space. Notices and orders keep their
   * paragraphs this way; keyword matching treats '\n' as ordinary whitespace.
   */
  keepLineBreaks?: boolean
}

// Lone halves of surrogate pairs cannot be encoded as UTF-8 (PostgreSQL refuses them), so they
// become U+FFFD, the replacement character.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

// Invisible characters that only hide text from matching: C0/C1 controls other than \t \n \v \f
// \r, soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width space/joiners and
// LRM/RLM (U+200B–U+200F), bidi embeddings and isolates, word joiner and invisible operators,
// BOM, interlinear annotation marks. Stripping the ZWJ splits emoji ZWJ sequences into their
// parts, which keeps every emoji visible.
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  /[\u0000-\u0008\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFF9-\uFFFB]/g

const LINE_BREAK = /\r\n?|[\u2028\u2029]/g
const WHITESPACE_RUN = /\s+/g

/**
 * Chat text: NFKC (full-width → half-width, U+3000 → space), invisible and control characters
 * removed, whitespace collapsed to one space (or kept as line breaks, see options), trimmed.
 * Linear in the input; callers that read untrusted messages cap the input first (SCAN_LIMIT in
 * bot/commands/parse-command.ts).
 */
export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  return clean(text.replace(LONE_SURROGATE, '\uFFFD').normalize('NFKC'), options)
}

/**
 * Free text as its author wrote it (a notice's body from any path: chat, CLI, a schedule), minus
 * what could hide or reorder it: invisible and bidi control characters (U+202E would show a
 * notice's words backwards) and lone surrogates. No NFKC: the author's punctuation stays.
 */
export function stripInvisible(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(INVISIBLE, '')
}

/**
 * A name: NFKC and trimmed, nothing else. Full-width letters, digits and punctuation
 * (ＡＢＣ１２３／；：) become their ASCII forms, so "第１网格" typed on a phone and "第1网格" from a
 * spreadsheet are the same name. Invisible and control characters are kept, unlike in
 * `normalizeText`, so that a check can refuse them: a zero-width space makes two names look
 * equal when they are not.
 */
export function normalizeName(value: string): string {
  return value.normalize('NFKC').trim()
}

/**
 * The two aligned views of a chat message the parser reads. `text` is the message cleaned but
 * not NFKC-folded, so free text keeps its author's characters (a notice's ，：！ stays Chinese
 * punctuation when it is broadcast); `folded` is the same string with every code point whose
 * NFKC form has the same UTF-16 length replaced by that form (Ａ→A, ５→5, ＠→@, ：→:, ①→1).
 * Index i means the same place in both, so the parser matches on `folded` and cuts from `text`.
 */
export function normalizeMessage(text: string): { text: string; folded: string } {
  const cleaned = clean(text.replace(LONE_SURROGATE, '\uFFFD'), { keepLineBreaks: true })
  return { text: cleaned, folded: foldWidth(cleaned) }
}

function clean(s: string, options: NormalizeOptions): string {
  const stripped = s.replace(INVISIBLE, '').replace(LINE_BREAK, '\n')
  const collapsed = options.keepLineBreaks
    ? stripped.replace(WHITESPACE_RUN, (run) => {
        const breaks = countLineBreaks(run)
        return breaks === 0 ? ' ' : breaks === 1 ? '\n' : '\n\n'
      })
    : stripped.replace(WHITESPACE_RUN, ' ')
  return collapsed.trim()
}

const SPACE = /\s/

/** Length-preserving NFKC: code points whose NFKC form is longer or shorter stay as they are. */
function foldWidth(s: string): string {
  // Most messages (plain CJK and ASCII) are already NFKC; the per-code-point pass is for the rest.
  if (s.normalize('NFKC') === s) return s
  let out = ''
  for (const c of s) {
    const n = c.normalize('NFKC')
    // Whitespace is already collapsed; a fold must not create more of it.
    out += n.length === c.length && !SPACE.test(n) ? n : c
  }
  return out
}

function countLineBreaks(run: string): number {
  let n = 0
  for (let i = 0; i < run.length; i++) if (run.charCodeAt(i) === 10) n++
  return n
}

/**
 * Length in Unicode code points, the unit PostgreSQL's varchar(n) counts, so an emoji is one
 * character, not two UTF-16 units (a lone surrogate counts as one).
 */
export function codePointLength(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    n++
  }
  return n
}
