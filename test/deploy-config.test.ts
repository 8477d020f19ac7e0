import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const compose = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')

/** Each service of the file by name, with its lines (the ones indented under it). */
function services(): Map<string, string> {
  const body = compose.slice(compose.indexOf('\nservices:\n'), compose.indexOf('\nvolumes:\n'))
  const found = new Map<string, string>()
  for (const block of body.split(/\n(?= {2}[\w-]+:\n)/).slice(1)) {
    found.set(block.slice(2, block.indexOf(':')), block)
  }
  return found
}

describe('docker-compose.yml', () => {
  it('takes every password from the environment and ships none', () => {
    const lines = compose.split('\n')
    const keyed = lines.flatMap((l) => l.match(/^\s*[A-Z_]*PASSWORD:\s*(.*)$/)?.[1] ?? [])
    const flag = lines.findIndex((l) => l.includes('"--requirepass"'))
    const secrets = [...keyed, lines[flag + 1]!.trim().replace(/^"|",?$/g, '')]
    expect(secrets).toHaveLength(2)
    for (const value of secrets) expect(value).toMatch(/^\$\{[A-Z_]+:\?/)
    // Credentials inside URLs come from the same variables.
    for (const url of compose.match(/(postgres|redis):\/\/\S+/g) ?? []) {
      expect(url).toMatch(/\$\{(POSTGRES|REDIS)_PASSWORD:\?/)
    }
  })

  it('makes Redis require a password, with AOF on and no eviction', () => {
    expect(compose).toContain('"--requirepass"')
    expect(compose).toMatch(/"--appendonly",\s*"yes"/)
    expect(compose).toMatch(/"--maxmemory-policy",\s*"noeviction"/)
  })

  it('splits the bot accounts over two bot processes, each its own, and runs more than one worker', () => {
    const bots = [...services()].filter(([, block]) => block.includes('command: ["bot"'))
    expect(bots.map(([name]) => name)).toEqual(['bot-a', 'bot-b'])
    const lists = bots.map(([, block]) => /"--accounts", "\$\{(\w+):-\}"/.exec(block)?.[1])
    expect(lists).toEqual(['BOT_A_ACCOUNTS', 'BOT_B_ACCOUNTS'])
    // Each keeps its puppet's session cache apart.
    const volumes = bots.map(([, block]) => /volumes: \["([\w-]+):/.exec(block)?.[1])
    expect(new Set(volumes).size).toBe(2)
    const worker = services().get('worker')!
    expect(worker).toContain('command: ["worker"]')
    expect(Number(/replicas: (\d+)/.exec(worker)?.[1])).toBeGreaterThanOrEqual(2)
  })
})
