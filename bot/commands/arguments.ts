/**
 * A keyword's arguments, read left to right into the command's fields: codes, stars, an
 * @mention, free text, a notice's scope and tier filter, a unit path. Every reader works on the
 * normalized view and cuts free text from the author's characters.
 */
import { limits } from '../../core/limits.ts'
import { codePointLength, normalizeText } from '../../core/text.ts'
import { splitPath } from '../../core/unit-path.ts'
import {
  type ArgSpec,
  type GrammarEntry,
  tierFilterWords,
  tierJoiners,
  tierWords,
  unitSuffixes,
} from './grammar.ts'
import { foldString, startsWithFolded } from './keywords.ts'
import {
  cleanText,
  hasWordChars,
  invalid,
  isSpace,
  skipSeparators,
  TRAILING_PUNCT,
  tokenEnd,
  type View,
} from './message-view.ts'
import { hints, usageHints } from './templates.ts'
import type { Command, Intent, ParseResult, Stars, Tier } from './types.ts'

/** Reads the entry's arguments left to right into the command's fields. */
export function interpret(entry: GrammarEntry, args: View): ParseResult {
  const s = args.f
  const usage = () => invalid(entry.intent, usageHints[entry.intent])
  const fields: Record<string, unknown> = { ...entry.fixed }
  let intent: Intent = entry.intent
  let pos = 0
  // After a code that is the last argument, free words are tolerated ("进度 A0042 谢谢") but a
  // second code is refused, so "确认 N12 N13" never confirms only one of them silently.
  let trailingCodes: RegExp | undefined
  for (const spec of entry.args as readonly ArgSpec[]) {
    pos = skipSeparators(s, pos)
    trailingCodes = undefined
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
export const CODE_START = /^(?:单号|编号|通知号|#)|^[A-Za-z][ -]?\d/
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
 * "九龙坡区/石桥铺街道", "九龙坡区 > 石桥铺街道", "九龙坡区、石桥铺街道" → "九龙坡区/石桥铺街道",
 * split by the same rule as a roster's paths (splitPath); quotes around the path, stray separators
 * at its ends and trailing punctuation are dropped.
 */
function readUnitPath(raw: string): { path: string } | { hint: string | undefined } {
  const trimmed = normalizeText(raw)
    .replace(/^[「『“"'【[《(]+/, '')
    .replace(TRAILING_PUNCT, '')
    .replace(/[」』”"'】\]》)]+$/, '')
  const segments = splitPath(trimmed).filter((segment) => segment !== '')
  if (segments.length === 0 || !segments.every(hasWordChars)) return { hint: undefined }
  if (segments.length > limits.pathSegments) return { hint: hints.pathTooDeep }
  const path = segments.join('/')
  if (codePointLength(path) > limits.path) return { hint: hints.tooLong(limits.path) }
  return { path }
}

/** A unit name or path: contains '/' or '>', or ends with a unit suffix, and is no sentence. */
export function looksLikeUnit(token: string): boolean {
  if (token === '' || codePointLength(token) > limits.scope) return false
  if (/[,.!?;"'“”‘’。…]/.test(token)) return false
  if (token.includes('/') || token.includes('>')) return true
  const folded = foldString(token)
  return unitSuffixes.some((suffix) => folded.length > suffix.length && folded.endsWith(suffix))
}
