/**
 * The free grammar measured on two corpora written for it (test/corpus/): held-out command and
 * order lines as people type them, and ordinary group chat the bot must stay silent on. The rates
 * are printed (`npx vitest run test/commands-corpus.test.ts`) and held to the targets.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseCommand } from '../bot/commands/parse-command.ts'
import type { ParseResult } from '../bot/commands/types.ts'

const BOT = ['圈群助手']
const parse = (text: string): ParseResult => parseCommand(text, { botNames: BOT })

const lines = (name: string) =>
  readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))

const expectations = (name: string) =>
  lines(name).map((line) => {
    const [intent, code, text] = line.split('\t')
    return { intent: intent!, code: code!, text: text! }
  })
const commands = expectations('commands.tsv')
const fresh = expectations('commands-fresh.tsv')
const chat = lines('chat.txt')

/** What the bot understood, in the corpus's terms: intent and code, 'ask' for an unsure request. */
function understood(result: ParseResult): { intent: string; code: string } | undefined {
  if (result.kind !== 'command') return undefined
  const { command } = result
  if (command.intent === 'order') {
    return { intent: result.loose === 'unsure' ? 'ask' : 'order', code: '-' }
  }
  return { intent: command.intent, code: 'code' in command ? command.code : '-' }
}

const percent = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`

describe('the free grammar on its corpora', () => {
  it.each([
    ['commands.tsv', commands, 200],
    ['commands-fresh.tsv', fresh, 50],
  ] as const)('understands at least 95 %% of %s', (name, set, size) => {
    expect(set.length).toBeGreaterThanOrEqual(size)
    const misses = set.filter(({ intent, code, text }) => {
      const got = understood(parse(text))
      return got?.intent !== intent || got.code !== code
    })
    const hits = set.length - misses.length
    console.log(
      `free grammar, ${name}: understood ${hits}/${set.length} (${percent(hits, set.length)})`,
    )
    for (const miss of misses) {
      const got = parse(miss.text)
      console.log(
        `  miss: ${miss.intent} ${miss.code} ${JSON.stringify(miss.text)} → ${JSON.stringify(understood(got) ?? got.kind)}`,
      )
    }
    expect(hits / set.length).toBeGreaterThanOrEqual(0.95)
  })

  it('stays silent on at least 199 of 200 ordinary chat lines', () => {
    expect(chat.length).toBeGreaterThanOrEqual(500)
    // An answer (是, a lone digit) is acted on only when the bot asked that talker a question
    // (pending-answers.ts); anything else the parser reads would make the bot speak.
    const results = chat.map((text) => ({ text, result: parse(text) }))
    const triggers = results.filter(
      ({ result }) =>
        result.kind === 'invalid' ||
        (result.kind === 'command' && result.command.intent !== 'answer'),
    )
    const answers = results.filter(
      ({ result }) => result.kind === 'command' && result.command.intent === 'answer',
    )
    console.log(
      `ordinary chat: ${triggers.length}/${chat.length} false triggers (${percent(triggers.length, chat.length)}); ${answers.length} lines read as answers, silent unless the bot asked`,
    )
    for (const t of triggers)
      console.log(`  trigger: ${JSON.stringify(t.text)} → ${JSON.stringify(t.result)}`)
    expect(triggers.length / chat.length).toBeLessThanOrEqual(0.005)
  })
})
