/**
 * Chat message → typed command. The entry point of the keyword grammar: normalize, drop a quoted
 * message and leading @mentions, match a keyword from grammar.ts at the start, read its arguments.
 * Pure and total: any string gives a result, never an exception, in time linear in at most
 * SCAN_LIMIT characters.
 */
import {
  type ArgSpec,
  type Glue,
  type GrammarEntry,
  grammar,
  greetings,
  keywordVariants,
  limits,
  particles,
  tierFilterWords,
  tierJoiners,
  tierWords,
  unitSuffixes,
} from './grammar.ts'
import { codePointLength, normalizeMessage, normalizeText } from './normalize.ts'
import { hints, usageHints } from './templates.ts'
import type { Command, Intent, ParseOptions, ParseResult, Stars, Tier } from './types.ts'

export { normalizeText } from './normalize.ts'
export type { ParseOptions, ParseResult } from './types.ts'

/**
 * Raw UTF-16 units read per message (4 KiB). Every command, a 2,000-character notice included,
 * fits; a longer message is answered 内容过长 (or ignored as chat) from its first SCAN_LIMIT
 * units, so a 10 MB paste costs the same as a short one.
 */
export const SCAN_LIMIT = 4096

const NONE: ParseResult = { kind: 'none' }

export function parseCommand(text: string, options: ParseOptions = {}): ParseResult {
  // Callers in plain JS (or a puppet returning null text) must not crash the bot.
  if (typeof text !== 'string') return NONE
  const overlong = text.length > SCAN_LIMIT
  const message = normalizeMessage(overlong ? text.slice(0, SCAN_LIMIT) : text)
  const quoted = stripQuote({ raw: message.text, f: message.folded })
  const { rest, mentionedBot } = stripMentions(quoted, normalizeBotNames(options.botNames))
  const attempt = rest.f === '' ? undefined : matchCommand(rest, overlong)
  if (attempt) return attempt.kind === 'command' ? { ...attempt, mentionedBot } : attempt
  if (!mentionedBot) return NONE
  // Addressed to the bot without a keyword: a bare mention or a greeting gets the help text,
  // anything else is a free-form request.
  if (overlong) return invalid('order', hints.tooLong(limits.text))
  if (!hasWordChars(rest.f) || isGreeting(rest.f)) {
    return { kind: 'command', command: { intent: 'help' }, mentionedBot }
  }
  if (codePointLength(rest.raw) > limits.text) return invalid('order', hints.tooLong(limits.text))
  return { kind: 'command', command: { intent: 'order', verb: '@', text: rest.raw }, mentionedBot }
}

/**
 * A message as two aligned strings (see normalizeMessage): `f` is matched, `raw` is what free
 * text is cut from. Every slice and edit is applied to both.
 */
interface View {
  raw: string
  f: string
}

const sliceView = (v: View, start: number, end?: number): View => ({
  raw: v.raw.slice(start, end),
  f: v.f.slice(start, end),
})

// ---------------------------------------------------------------------------------------------
// Keywords

const fold = (c: string): string => keywordVariants[c] ?? c.toLowerCase()
const foldString = (s: string): string => Array.from(s, fold).join('')

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
function matchKeyword(s: string, start: number): { entry: GrammarEntry; end: number } | undefined {
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

/** The keyword at the start of `rest` and its arguments, or undefined when this is not one. */
function matchCommand(rest: View, overlong: boolean): ParseResult | undefined {
  const s = rest.f
  let i = 0
  // Habits from other bots and from notices: "#点单 …", "/help", "【通知】…".
  if (s[0] === '#' || s[0] === '/') i = 1
  const close = s[i] === '【' ? '】' : s[i] === '[' ? ']' : undefined
  if (close) i++
  const match = matchKeyword(s, i)
  if (!match) return undefined
  let end = match.end
  if (close) {
    if (s[end] !== close) return undefined
    end++
  }
  const argsStart = skipSeparators(s, end)
  const separated = close !== undefined || argsStart > end
  const args = sliceView(rest, argsStart)
  if (!separated && args.f !== '' && !glueAllows(match.entry.glue, args.f)) return undefined
  if (overlong) return invalid(match.entry.intent, hints.tooLong(textLimit(match.entry)))
  return interpret(match.entry, args)
}

/** Whether text glued to a keyword ("点单修水管", "完成了") makes it a command. */
function glueAllows(glue: Glue, args: string): boolean {
  // Only punctuation or emoji after the keyword ("完成。"): an attempt at the command.
  if (!hasWordChars(args)) return true
  if (glue === 'nothing') return onlyParticles(args)
  if (particles.includes(args[0]!)) return false
  switch (glue) {
    case 'text':
      return true
    case 'code':
      return CODE_START.test(args)
    case 'bracket':
      return args[0] === '【' || args[0] === '['
    case 'unit':
      return looksLikeUnit(args.slice(0, tokenEnd(args, 0)))
  }
}

function textLimit(entry: GrammarEntry): number {
  for (const spec of entry.args as readonly ArgSpec[]) {
    if (spec.kind === 'noticeBody') return limits.noticeText
    if (spec.kind === 'text') return spec.max
  }
  return limits.text
}

// ---------------------------------------------------------------------------------------------
// Arguments

/** Reads the entry's arguments left to right into the command's fields. */
function interpret(entry: GrammarEntry, args: View): ParseResult {
  const s = args.f
  const usage = () => invalid(entry.intent, usageHints[entry.intent])
  const fields: Record<string, unknown> = { ...entry.fixed }
  let intent: Intent = entry.intent
  let pos = 0
  // After a trailing code, free words are tolerated ("进度 A0042 谢谢") but a second code is
  // refused, so "确认 N12 N13" never confirms only one of them silently.
  let trailingCodes: RegExp | undefined
  for (const spec of entry.args as readonly ArgSpec[]) {
    pos = skipSeparators(s, pos)
    switch (spec.kind) {
      case 'orderCode':
      case 'noticeCode':
      case 'anyCode': {
        const code = readCode(s, pos)
        if (!code || code.kind === 'bad') return usage()
        if (spec.kind === 'orderCode' && code.kind !== 'order') return usage()
        if (spec.kind === 'noticeCode' && code.kind !== 'notice') return usage()
        if (spec.kind === 'anyCode' && code.kind === 'order') intent = spec.orderIntent
        fields[spec.name] = code.code
        pos = code.end
        trailingCodes =
          spec.kind === 'anyCode' ? ANY_CODE : code.kind === 'order' ? ORDER_CODE : NOTICE_CODE
        break
      }
      case 'stars': {
        const stars = readStars(s, pos)
        if (!stars) return usage()
        fields[spec.name] = stars.stars
        pos = stars.end
        trailingCodes = undefined
        break
      }
      case 'mention': {
        const mention = readMention(args, pos)
        if (!mention) return usage()
        if (codePointLength(mention.name) > limits.assignee) {
          return invalid(intent, hints.tooLong(limits.assignee))
        }
        if (ANOTHER_MENTION.test(s.slice(mention.end))) {
          return invalid(intent, hints.oneAssigneeOnly)
        }
        fields[spec.name] = mention.name
        pos = s.length
        trailingCodes = undefined
        break
      }
      case 'text': {
        const text = cleanText(args, pos)
        if (text === '') {
          if (!spec.optional) return usage()
        } else {
          if (codePointLength(text) > spec.max) return invalid(intent, hints.tooLong(spec.max))
          fields[spec.name] = text
        }
        pos = s.length
        trailingCodes = undefined
        break
      }
      case 'noticeBody': {
        const body = readNoticeBody(args)
        if ('hint' in body) return invalid(intent, body.hint ?? usageHints[intent])
        Object.assign(fields, body)
        pos = s.length
        break
      }
      case 'unitPath': {
        const path = readUnitPath(args.raw)
        if ('hint' in path) return invalid(intent, path.hint ?? usageHints[intent])
        fields[spec.name] = path.path
        pos = s.length
        break
      }
    }
  }
  if (trailingCodes?.test(s.slice(pos))) return invalid(intent, hints.oneCodeOnly)
  // The table's type ties each entry's field names to its intent; the values were built above.
  return { kind: 'command', command: { intent, ...fields } as Command, mentionedBot: false }
}

// Codes: a letter, an optional space or dash, digits. "单号：A0042" and "#A0042" are accepted.
const CODE = /(?:(?:单号|编号|通知号)\s*:?\s*|#\s*)?([A-Za-z])[ -]?(\d{1,9})(?![A-Za-z0-9])/y
const CODE_START = /^(?:单号|编号|通知号|#)|^[A-Za-z][ -]?\d/
const ORDER_CODE = /(?<![A-Za-z0-9])[A-MO-Za-mo-z][ -]?\d{4,6}(?![A-Za-z0-9])/
const NOTICE_CODE = /(?<![A-Za-z0-9])[Nn][ -]?\d{1,9}(?![A-Za-z0-9])/
const ANY_CODE = new RegExp(`${ORDER_CODE.source}|${NOTICE_CODE.source}`)

/**
 * An order code (letter + 4-6 digits, upper-cased: "A0042") or a notice code ("N" + 1-9 digits,
 * leading zeros dropped: "N012" → "N12"). N is the notices' letter, so "N1234" is a notice.
 * 'bad' is something code-shaped that is neither ("A42").
 */
function readCode(
  s: string,
  pos: number,
): { kind: 'order' | 'notice' | 'bad'; code: string; end: number } | undefined {
  CODE.lastIndex = pos
  const m = CODE.exec(s)
  if (!m) return undefined
  const letter = m[1]!.toUpperCase()
  const digits = m[2]!
  const end = pos + m[0].length
  if (letter === 'N') return { kind: 'notice', code: `N${Number(digits)}`, end }
  if (digits.length >= 4 && digits.length <= 6) return { kind: 'order', code: letter + digits, end }
  return { kind: 'bad', code: '', end }
}

const STARS_DIGIT = /([1-5])\s*(?:颗星|星级|星|分)?(?![0-9.])/y
const STARS_WORD = /([一二两三四五])\s*(?:颗星|星|分)/y
const STARS_GLYPH = /(?:[★⭐]\uFE0F?)+[☆ ]*/y
const STARS_FULL = /满分|满星/y
const CHINESE_DIGIT: Readonly<Record<string, Stars>> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 }

/** 1-5 stars as people write them: "5", "5星", "5分", "五星", "★★★★★", "⭐⭐⭐", "满分". */
function readStars(s: string, pos: number): { stars: Stars; end: number } | undefined {
  STARS_DIGIT.lastIndex = pos
  let m = STARS_DIGIT.exec(s)
  if (m) return { stars: Number(m[1]) as Stars, end: pos + m[0].length }
  STARS_WORD.lastIndex = pos
  m = STARS_WORD.exec(s)
  if (m) return { stars: CHINESE_DIGIT[m[1]!]!, end: pos + m[0].length }
  STARS_GLYPH.lastIndex = pos
  m = STARS_GLYPH.exec(s)
  if (m) {
    const count = m[0].replace(/[^★⭐]/g, '').length
    return count <= 5 ? { stars: count as Stars, end: pos + m[0].length } : undefined
  }
  STARS_FULL.lastIndex = pos
  m = STARS_FULL.exec(s)
  if (m) return { stars: 5, end: pos + m[0].length }
  return undefined
}

const ANOTHER_MENTION = /(?:^|\s)@[^\s@]/

/**
 * "@张三" → "张三": up to the next whitespace. WeChat nicknames may hold spaces; the bot layer
 * should prefer the message's mention list when it has one.
 */
function readMention(v: View, pos: number): { name: string; end: number } | undefined {
  if (v.f[pos] !== '@') return undefined
  let end = pos + 1
  while (end < v.f.length && !isSpace(v.f[end])) end++
  const name = normalizeText(v.raw.slice(pos + 1, end)).replace(TRAILING_PUNCT, '')
  return name === '' ? undefined : { name, end }
}

/**
 * `[范围] [仅<层级>…] <正文>`. A 【…】 or […] is always the scope; a bare first token is the scope
 * only when it reads like a unit (石桥铺街道, 3号楼, 九龙坡区/石桥铺街道) and text follows it.
 * Scope is an identifier (NFKC-normalized); the text keeps its author's characters.
 */
function readNoticeBody(
  v: View,
): { scope?: string; tiers?: Tier[]; text: string } | { hint: string | undefined } {
  const s = v.f
  let pos = 0
  let scope: string | undefined
  const tiers = new Set<Tier>()
  for (let round = 0; round < 4; round++) {
    pos = skipSeparators(s, pos)
    const open = s[pos]
    if (scope === undefined && (open === '【' || open === '[')) {
      const close = s.indexOf(open === '【' ? '】' : ']', pos + 1)
      if (close > 0) {
        const inner = normalizeText(v.raw.slice(pos + 1, close))
        if (inner !== '') scope = inner
        pos = close + 1
        continue
      }
    }
    const filter = readTierFilter(s, pos)
    if (filter) {
      for (const tier of filter.tiers) tiers.add(tier)
      pos = filter.end
      continue
    }
    if (round === 0) {
      const end = tokenEnd(s, pos)
      if (looksLikeUnit(s.slice(pos, end)) && hasWordChars(s.slice(end))) {
        scope = normalizeText(v.raw.slice(pos, end))
        pos = end
        continue
      }
    }
    break
  }
  if (scope !== undefined && codePointLength(scope) > limits.scope)
    return { hint: hints.scopeTooLong }
  const text = cleanText(v, pos)
  if (text === '') return { hint: undefined }
  if (codePointLength(text) > limits.noticeText) return { hint: hints.tooLong(limits.noticeText) }
  return {
    ...(scope !== undefined && { scope }),
    ...(tiers.size > 0 && { tiers: [...tiers].sort((a, b) => a - b) }),
    text,
  }
}

const tierWordsLongestFirst = [...tierWords]
  .map(([word, tier]) => [foldString(word), tier] as const)
  .sort((a, b) => b[0].length - a[0].length)

/** "仅网格和楼栋", "只发街道、社区群", "仅 楼栋" → tiers; anything else (仅限老人…) is body text. */
function readTierFilter(s: string, pos: number): { tiers: Tier[]; end: number } | undefined {
  const opener = tierFilterWords.find((w) => startsWithFolded(s, pos, w))
  if (opener === undefined) return undefined
  let i = pos + opener.length
  while (s[i] === ' ') i++
  const tiers: Tier[] = []
  for (;;) {
    const word = tierWordsLongestFirst.find(([w]) => startsWithFolded(s, i, w))
    if (!word) return undefined
    tiers.push(word[1])
    i += word[0].length
    if (s[i] === '群' || s[i] === '级') i++
    let j = i
    while (s[j] === ' ') j++
    const joiner = tierJoiners.find((w) => s.startsWith(w, j))
    if (joiner === undefined) break
    j += joiner.length
    while (s[j] === ' ') j++
    // "仅网格，明天停水": the comma ends the filter rather than joining another tier.
    if (!tierWordsLongestFirst.some(([w]) => startsWithFolded(s, j, w))) break
    i = j
  }
  const next = s[i]
  if (next !== undefined && !isSpace(next) && !':,、;'.includes(next)) return undefined
  return { tiers, end: i }
}

/**
 * "九龙坡区/石桥铺街道", "九龙坡区 > 石桥铺街道", "九龙坡区、石桥铺街道" → "九龙坡区/石桥铺街道".
 * Unit names never hold '/', '>', '、', ',' or spaces, so all of them separate levels.
 */
function readUnitPath(raw: string): { path: string } | { hint: string | undefined } {
  const trimmed = normalizeText(raw)
    .replace(/^[「『“"'【[《(]+/, '')
    .replace(TRAILING_PUNCT, '')
    .replace(/[」』”"'】\]》)]+$/, '')
  const segments = trimmed
    .replace(/->|=>|→|»|›/g, '/')
    .split(/[/>\\、,\s]+/)
    .filter((segment) => segment !== '')
  if (segments.length === 0 || !segments.every(hasWordChars)) return { hint: undefined }
  if (segments.length > limits.pathSegments) return { hint: hints.pathTooDeep }
  const path = segments.join('/')
  if (codePointLength(path) > limits.path) return { hint: hints.tooLong(limits.path) }
  return { path }
}

/** A unit name or path: contains '/' or '>', or ends with a unit suffix, and is no sentence. */
function looksLikeUnit(token: string): boolean {
  if (token === '' || codePointLength(token) > limits.scope) return false
  if (/[,.!?;"'“”‘’。…]/.test(token)) return false
  if (token.includes('/') || token.includes('>')) return true
  const folded = foldString(token)
  return unitSuffixes.some((suffix) => folded.length > suffix.length && folded.endsWith(suffix))
}

// ---------------------------------------------------------------------------------------------
// Mentions and quotes

function normalizeBotNames(names: readonly string[] | undefined): string[] {
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
function stripMentions(
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

function stripQuote(message: View): View {
  const m = QUOTE.exec(message.f)
  if (!m) return message
  const rest = sliceView(message, m[0].length)
  return { raw: rest.raw.trim(), f: rest.f.trim() }
}

// ---------------------------------------------------------------------------------------------
// Small helpers over normalized text (whitespace is only ' ' and '\n' there)

const SEPARATORS = ' \n:,、;~-—–'
const TRAILING_PUNCT = /[,.:;!?。、…~]+$/

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n'
}

function skipSeparators(s: string, pos: number): number {
  let i = pos
  while (i < s.length && SEPARATORS.includes(s[i]!)) i++
  return i
}

/** End of the token at `pos`: the next whitespace or ':' ("石桥铺街道：明天停水"). */
function tokenEnd(s: string, pos: number): number {
  let i = pos
  while (i < s.length && !isSpace(s[i]) && s[i] !== ':') i++
  return i
}

function startsWithFolded(s: string, pos: number, folded: string): boolean {
  if (pos + folded.length > s.length) return false
  for (let k = 0; k < folded.length; k++) if (fold(s[pos + k]!) !== folded[k]) return false
  return true
}

function hasWordChars(s: string): boolean {
  return /[\p{L}\p{N}]/u.test(s)
}

/** Free text from `pos` in the author's characters, leading separators dropped; '' if unreadable. */
function cleanText(v: View, pos: number): string {
  const text = v.raw.slice(skipSeparators(v.f, pos)).trim()
  return /[\p{L}\p{N}\p{So}]/u.test(text) ? text : ''
}

function onlyParticles(s: string): boolean {
  for (const c of s) if (/[\p{L}\p{N}]/u.test(c) && !particles.includes(c)) return false
  return true
}

function isGreeting(s: string): boolean {
  const words = foldString(s).replace(/[^\p{L}\p{N}]/gu, '')
  return greetings.includes(words)
}

function invalid(intent: Intent, hint: string): ParseResult {
  return { kind: 'invalid', intent, hint }
}
