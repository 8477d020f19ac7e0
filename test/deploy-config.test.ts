import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const compose = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')

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
})
