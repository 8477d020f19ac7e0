/**
 * Chat message → typed command. The entry point of the keyword grammar: normalize, drop a quoted
 * message and leading @mentions, match a keyword from grammar.ts at the start, read its arguments;
 * without a keyword, the free grammar (free-forms.ts) reads what is clear all the same.
 * Pure and total: any string gives a result, never an exception, in time linear in at most
 * SCAN_LIMIT characters.
 */
import { limits } from '../../core/limits.ts'
import { codePointLength, normalizeMessage } from '../../core/text.ts'
import { CODE_START, interpret, looksLikeUnit } from './arguments.ts'
import { matchFree } from './free-forms.ts'
import { type ArgSpec, type Glue, type GrammarEntry, greetings, particles } from './grammar.ts'
import { foldString, matchKeyword } from './keywords.ts'
import { normalizeBotNames, stripMentions, stripQuote } from './mentions.ts'
import {
  hasWordChars,
  invalid,
  skipSeparators,
  sliceView,
  tokenEnd,
  type View,
} from './message-view.ts'
import { hints } from './templates.ts'
import type { ParseOptions, ParseResult } from './types.ts'

/**
 * Raw UTF-16 units read per message (4 KiB). Every command, a 2,000-character notice included,
 * fits; a longer message is answered 内容过长 (or ignored as chat) from its first SCAN_LIMIT
 * units, so a 10 MB paste costs the same as a short one.
 */
const SCAN_LIMIT = 4096

const NONE: ParseResult = { kind: 'none' }

export function parseCommand(text: string, options: ParseOptions = {}): ParseResult {
  // Callers in plain JS (or a puppet returning null text) must not crash the bot.
  if (typeof text !== 'string') return NONE
  const overlong = text.length > SCAN_LIMIT
  const message = normalizeMessage(overlong ? text.slice(0, SCAN_LIMIT) : text)
  const quoted = stripQuote({ raw: message.text, f: message.folded })
  const { rest, mentionedBot } = stripMentions(quoted, normalizeBotNames(options.botNames))
  const attempt = rest.f === '' ? undefined : matchCommand(rest, overlong)
  if (attempt?.kind === 'command') return { ...attempt, mentionedBot }
  // No keyword at the start, or one whose arguments are out of order ("接单 👍 F0005"): a line
  // whose intent is clear all the same is that command.
  const free = rest.f === '' || overlong ? undefined : matchFree(rest)
  if (free?.kind === 'command') return { ...free, mentionedBot }
  if (attempt) return attempt
  if (free) return free
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

function onlyParticles(s: string): boolean {
  for (const c of s) if (/[\p{L}\p{N}]/u.test(c) && !particles.includes(c)) return false
  return true
}

function isGreeting(s: string): boolean {
  const words = foldString(s).replace(/[^\p{L}\p{N}]/gu, '')
  return greetings.includes(words)
}
