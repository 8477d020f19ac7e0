import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { doctor } from '../cli/commands/doctor.ts'
import { importNetwork } from '../network/import.ts'
import { loadCatalog } from '../orders/catalogue.ts'
import { redisAnswers } from '../queues/connection.ts'
import { runCli } from './support/cli.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'
import { adminUrl, withDatabase } from './support/pg-url.ts'

const sample = readFileSync(new URL('../fixtures/sample-district.csv', import.meta.url))

/** A redis-server of the test's own, with the given eviction policy, AOF on. */
async function startRedis(port: number, dir: string, policy: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      policy,
    ],
    { stdio: 'ignore' },
  )
  for (let i = 0; i < 50 && !(await redisAnswers(`redis://127.0.0.1:${port}`, 200)); i++) {
    await new Promise((r) => setTimeout(r, 100))
  }
  return child
}

describe('quanqun doctor', () => {
  let t: TestDatabase
  let dir: string
  const redis: ChildProcess[] = []
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'qq-doctor-'))
    redis.push(await startRedis(port, dir, 'noeviction'))
    redis.push(await startRedis(port + 1, dir, 'allkeys-lru'))
  })
  afterAll(async () => {
    for (const child of redis) child.kill('SIGTERM')
    await t?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('passes a healthy setup: every line ✓, exit 0', async () => {
    expect((await importNetwork(t.db, sample)).ok).toBe(true)
    await loadCatalog(t.db)
    const run = await runCli(doctor, {
      DATABASE_URL: t.url,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      DATA_DIR: dir,
    })
    expect(run.lines.filter((l) => l.startsWith('✗'))).toEqual([])
    expect(run.lines).toContain(`✓ 数据库迁移：已到最新（${latestTag()}）`)
    expect(run.lines).toContain('✓ Redis：AOF 已开启')
    expect(run.lines).toContain('✓ Redis：maxmemory-policy noeviction')
    expect(run.lines.at(-1)).toBe('全部通过。')
    expect(run.code).toBe(0)
  })

  it('names what is broken and how to fix it: migrations missing, allkeys-lru, no accounts', async () => {
    const name = `quanqun_doctor_${randomBytes(4).toString('hex')}`
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} })
    await admin.unsafe(`CREATE DATABASE ${name}`)
    try {
      const run = await runCli(doctor, {
        DATABASE_URL: withDatabase(adminUrl(), name),
        REDIS_URL: `redis://127.0.0.1:${port + 1}`,
        DATA_DIR: dir,
      })
      expect(run.code).toBe(1)
      expect(run.lines).toContain('✗ 数据库迁移：尚未迁移（运行 quanqun db migrate）')
      expect(run.lines).toContain(
        '✗ Redis：maxmemory-policy allkeys-lru：内存满时会删掉排队中的任务（设置 maxmemory-policy noeviction）',
      )
      expect(run.lines.some((l) => l.startsWith('✗ 机器人账号'))).toBe(true)
      expect(run.lines.at(-1)).toMatch(/^\d+ 项未通过。$/)
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.end()
    }
  })

  it('answers with ✗ lines, not a crash, when neither PostgreSQL nor Redis is there', async () => {
    const run = await runCli(doctor, {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      DATA_DIR: dir,
    })
    expect(run.code).toBe(1)
    expect(run.lines).toContain(
      '✗ PostgreSQL：无法连接（检查 DATABASE_URL，确认 PostgreSQL 在运行并允许连接）',
    )
    expect(run.lines.some((l) => l.startsWith('✗ Redis：无法连接'))).toBe(true)
  })
})

function latestTag(): string {
  const journal = JSON.parse(
    readFileSync(new URL('../db/migrations/meta/_journal.json', import.meta.url), 'utf8'),
  ) as { entries: { tag: string }[] }
  return journal.entries.at(-1)!.tag
}
