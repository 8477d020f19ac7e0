import { describe, expect, it } from 'vitest'
import { grammar, keywordVariants } from '../bot/commands/grammar.ts'
import { parseCommand } from '../bot/commands/parse-command.ts'
import type { Command, ParseResult } from '../bot/commands/types.ts'
import { seeded } from './support/prng.ts'

// A failure names its seed and case number; FUZZ_SEED=<seed> reruns the same 100,000 strings.
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611)
const CASES = 100_000
const BOT_NAMES = ['圈群助手', '圈群 小助手']

const traditional = Object.keys(keywordVariants)
const keywords = grammar.flatMap((entry) => entry.keywords)

const fragments = [
  // the grammar's own words, whole and broken
  ...keywords,
  ...traditional,
  '点',
  '单',
  '仅',
  '只发',
  '网格',
  '楼栋',
  '街道',
  '和',
  '、',
  '【',
  '】',
  '[',
  ']',
  '【石桥铺街道】',
  '石桥铺街道',
  '九龙坡区/',
  '/',
  '>',
  '→',
  // codes and stars
  'A0042',
  'a 0042',
  'Ａ００４２',
  'N12',
  'n0',
  'N123456789',
  'N1234567890',
  'Z999999',
  'A1234567',
  '单号：',
  '#',
  '5',
  '五星',
  '★★★★★',
  '☆',
  '⭐️',
  '⑤',
  '10',
  '4.5',
  '满分',
  // mentions and quotes
  '@圈群助手',
  '@圈群助手\u2005',
  '＠圈群助手',
  '@圈群 小助手',
  '@',
  '@@',
  '@张三 ',
  '「张三：',
  '」\n- - - - - - - - - - - - - - -\n',
  // whitespace, invisible and control characters
  ' ',
  '  ',
  '\u3000',
  '\u2005',
  '\n',
  '\r\n',
  '\t',
  '\u2028',
  '\u00A0',
  '\u200B',
  '\u200D',
  '\u200E',
  '\u202E',
  '\u2066',
  '\u061C',
  '\uFEFF',
  '\u0000',
  '\u0007',
  '\u001B',
  '\u0085',
  // surrogates and emoji
  '\uD800',
  '\uDC00',
  '\uDBFF\uDFFF',
  '😀',
  '👨\u200D👩\u200D👧\u200D👦',
  '🏳️\u200D🌈',
  '🇨🇳',
  '🙏🏻',
  // characters NFKC changes, some into many
  'ﬁ',
  '™',
  '𝐀',
  '\uFDFA',
  '㍿',
  '①',
  // hostile payloads
  "'; DROP TABLE orders;--",
  '" OR 1=1 --',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as is
  '${process.exit()}',
  '{{7*7}}',
  '%s%s%n',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  // punctuation and ordinary words
  '。',
  '！',
  '？',
  ':',
  '：',
  ',',
  '，',
  '~',
  '-',
  '…',
  '修水管',
  '楼道灯坏了',
  '了',
  '吗',
  '你好',
]

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  const units = (n: number) => {
    let s = ''
    for (let i = 0; i < n; i++) s += String.fromCharCode(int(0x10000))
    return s
  }
  const pieces = (n: number) => {
    let s = ''
    for (let i = 0; i < n; i++) s += pick(fragments)
    return s
  }
  return (index: number): string => {
    // A few 10 MB messages, and many around the 4,096-unit scan limit.
    if (index % 25_000 === 0) {
      const unit = pick(fragments)
      return `${pick(keywords)} ${unit.repeat(Math.ceil(10_000_000 / unit.length))}`
    }
    if (index % 500 === 0) return pick(fragments).repeat(3_900 + int(400))
    switch (int(6)) {
      case 0:
        return units(int(60))
      case 1:
        return pieces(1 + int(12))
      case 2:
        return `${pick(keywords)}${pick(['', ' ', ':', '\u3000'])}${pieces(int(8))}`
      case 3:
        return `${pick(keywords)} ${pick(fragments)} ${units(int(20))}`
      case 4: {
        // Probing the length limits: a keyword with free text just under and over each maximum.
        const size = pick([64, 100, 200, 500, 2000]) - 3 + int(6)
        return `${pick(keywords)} ${pick(['A0042 ', 'N12 ', 'A0042 5 ', ''])}${pick(fragments).repeat(size)}`
      }
      default:
        return `${pick(['@圈群助手 ', '@张三 ', ''])}${pieces(int(4))}${pick(keywords)}${pieces(int(6))}`
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What every result must satisfy, checked without reusing the parser's code

const codePoints = (s: string) => Array.from(s).length
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these must never reach the database
  /[\u0000-\u0008\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/

const fieldsOf: { [I in Command['intent']]: readonly string[] } = {
  order: ['verb', 'text'],
  progress: ['code'],
  rate: ['code', 'stars', 'comment'],
  cancelOrder: ['code'],
  menu: [],
  help: [],
  verify: ['text'],
  correctNotice: ['code', 'text'],
  pauseNotice: ['code'],
  resumeNotice: ['code'],
  accept: ['code'],
  complete: ['code', 'note'],
  returnOrder: ['code', 'reason'],
  myTasks: [],
  dispatch: ['code', 'assignee'],
  escalate: ['code', 'reason'],
  recategorize: ['code', 'category'],
  notice: ['scope', 'tiers', 'text'],
  confirmNotice: ['code'],
  cancelNotice: ['code'],
  recallNotice: ['code'],
  resendNotice: ['code'],
  receipt: ['code'],
  bind: ['path'],
  answer: ['answer'],
  login: [],
}
const noticeIntents = new Set([
  'pauseNotice',
  'resumeNotice',
  'confirmNotice',
  'cancelNotice',
  'recallNotice',
  'resendNotice',
  'receipt',
  'correctNotice',
])

function problem(result: ParseResult): string | undefined {
  if (result.kind === 'none') return Object.keys(result).length === 1 ? undefined : 'extra keys'
  if (result.kind === 'invalid') {
    if (!(result.intent in fieldsOf)) return `unknown intent ${result.intent}`
    if (typeof result.hint !== 'string' || result.hint === '') return 'empty hint'
    return result.hint.length <= 500 ? undefined : 'hint over 500 characters'
  }
  if (result.kind !== 'command') return 'unknown kind'
  if (typeof result.mentionedBot !== 'boolean') return 'mentionedBot is not a boolean'
  const command = result.command as Record<string, unknown> & Command
  const allowed = fieldsOf[command.intent]
  if (!allowed) return `unknown intent ${command.intent}`
  for (const [key, value] of Object.entries(command)) {
    if (key === 'intent') continue
    if (!allowed.includes(key)) return `unexpected field ${key}`
    if (typeof value === 'string') {
      if (value === '' || value.trim() !== value) return `${key} is empty or untrimmed`
      if (LONE_SURROGATE.test(value)) return `${key} holds a lone surrogate`
      if (INVISIBLE.test(value)) return `${key} holds an invisible character`
    }
  }
  const max = (value: string | undefined, limit: number) =>
    value !== undefined && codePoints(value) > limit
  switch (command.intent) {
    case 'order':
      if (!['点单', '求助', '报修', '@', '请求'].includes(command.verb)) return 'bad verb'
      return max(command.text, 500) ? 'order text over 500' : undefined
    case 'rate':
      if (!Number.isInteger(command.stars) || command.stars < 1 || command.stars > 5) return 'stars'
      if (max(command.comment, 500)) return 'comment over 500'
      break
    case 'complete':
      if (max(command.note, 500)) return 'note over 500'
      break
    case 'returnOrder':
    case 'escalate':
      if (max(command.reason, 500)) return 'reason over 500'
      break
    case 'dispatch':
      if (max(command.assignee, 64) || /\s/.test(command.assignee)) return 'bad assignee'
      break
    case 'notice': {
      if (max(command.text, 2000)) return 'notice text over 2000'
      if (max(command.scope, 100)) return 'scope over 100'
      const tiers = command.tiers
      if (tiers) {
        const sorted = [...new Set(tiers)].sort((a, b) => a - b)
        if (tiers.length === 0 || tiers.join() !== sorted.join()) return 'tiers not sorted/unique'
        if (tiers.some((tier) => ![1, 2, 3, 4, 5].includes(tier))) return 'unknown tier'
      }
      return undefined
    }
    case 'bind': {
      if (max(command.path, 200)) return 'path over 200'
      const segments = command.path.split('/')
      if (segments.length > 6 || segments.some((segment) => segment.trim() === '')) {
        return 'bad path segments'
      }
      return undefined
    }
  }
  if ('code' in command) {
    const shape = noticeIntents.has(command.intent) ? /^N(0|[1-9]\d{0,8})$/ : /^[A-MO-Z]\d{4,6}$/
    if (!shape.test(String(command.code))) return `bad code ${String(command.code)}`
  }
  return undefined
}

describe('parseCommand fuzz', () => {
  it(`survives ${CASES} random and hostile strings (seed ${SEED})`, () => {
    const next = generator(seeded(SEED))
    const counts = { none: 0, command: 0, invalid: 0 }
    for (let i = 0; i < CASES; i++) {
      const text = next(i)
      const options = i % 3 === 0 ? {} : { botNames: BOT_NAMES }
      let result: ParseResult
      try {
        result = parseCommand(text, options)
      } catch (error) {
        throw new Error(`seed ${SEED} case ${i} threw on ${JSON.stringify(text.slice(0, 300))}`, {
          cause: error,
        })
      }
      const found = problem(result)
      if (found) {
        throw new Error(
          `seed ${SEED} case ${i}: ${found} for ${JSON.stringify(text.slice(0, 300))} → ${JSON.stringify(result).slice(0, 600)}`,
        )
      }
      counts[result.kind]++
    }
    // The strings must reach every branch, not only the silent one.
    expect(counts.command).toBeGreaterThan(CASES / 20)
    expect(counts.invalid).toBeGreaterThan(CASES / 20)
    expect(counts.none).toBeGreaterThan(CASES / 20)
  })

  it('gives the same result for the same string', () => {
    const next = generator(seeded(SEED + 1))
    for (let i = 1; i < 2_000; i++) {
      const text = next(i)
      expect(parseCommand(text, { botNames: BOT_NAMES })).toEqual(
        parseCommand(text, { botNames: BOT_NAMES }),
      )
    }
  })
})
