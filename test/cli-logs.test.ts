import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBin } from './support/cli.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

const SAMPLE = new URL('../fixtures/sample-district.csv', import.meta.url).pathname

describe('the CLI’s own output', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('prints the answer and no log lines when a one-shot command succeeds', async () => {
    const env = { PATH: process.env.PATH, DATABASE_URL: t.url }
    const imported = await runBin(['network', 'import', SAMPLE], env)
    expect(imported.code).toBe(0)
    expect(imported.stdout).toContain('导入')
    expect(imported.stderr).toBe('')
    // Asked for, the info lines are there (JSON, since stderr is not a terminal here).
    const verbose = await runBin(['network', 'import', SAMPLE], { ...env, LOG_LEVEL: 'info' })
    expect(verbose.code).toBe(0)
    const lines = verbose.stderr.trim().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('level', 30)
  }, 60_000)
})
