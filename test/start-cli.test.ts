import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBin } from './support/cli.ts'

/** A TCP port nothing listens on (the kernel picks it, we release it). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

describe('quanqun start with zero configuration', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quanqun-start-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** The environment of a fresh machine: no DATABASE_URL, nothing but PATH and HOME. */
  const cleanEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: join(dir, 'data'),
    // The console on a free port: tests run side by side.
    WEB_PORT: '0',
    ...extra,
  })

  it('starts its own redis-server when none answers, plays the whole demo on PGlite and exits 0', async () => {
    const port = await freePort()
    const result = await runBin(
      ['start', '--demo-once'],
      cleanEnv({ REDIS_URL: `redis://127.0.0.1:${port}` }),
      120_000,
    )
    expect(result.stderr).not.toMatch(/错误/)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('已在本机启动 redis-server')
    expect(result.stdout).toContain('已导入示例街区')
    // The console's address and a one-time link for the demo's propagandist, one click away.
    expect(result.stdout).toMatch(/控制台：http:\/\/127\.0\.0\.1:\d+\n/)
    expect(result.stdout).toMatch(
      /王芳（示例街区宣传员）的一次性登录链接.*http:\/\/127\.0\.0\.1:\d+\/login\?t=\S{40,}/,
    )
    const lines = result.stdout.split('\n')
    // Every one of the sample district's 27 groups got the notice exactly once.
    const notice = lines.filter((l) => /^\[[^\]]+\] 圈群助手: 本周六上午9点/.test(l))
    const rooms = notice.map((l) => l.slice(1, l.indexOf(']')))
    expect(rooms).toHaveLength(27)
    expect(new Set(rooms).size).toBe(27)
    expect(result.stdout).toContain('发布完毕：共 27 个群，送达 27，失败 0')
    // Two orders done and rated, points posted; the one left alone climbed to the district.
    expect(result.stdout).toMatch(/A0001 \S+：已评价结单/)
    expect(result.stdout).toMatch(/A0002 \S+：已评价结单/)
    expect(result.stdout).toMatch(/A0003 \S+：已上报待接单/)
    expect(result.stdout).toMatch(/【上报】A0003 .*现由九龙坡区文明实践中心负责/)
    expect(result.stdout).toMatch(/爱心积分：\n {2}\S+ 10 分/)
  }, 150_000)

  it('exits non-zero with one line saying how to get Redis when there is none to start', async () => {
    const port = await freePort()
    // A PATH holding node alone: no redis-server binary to fall back on.
    const bin = join(dir, 'bin')
    await mkdir(bin, { recursive: true })
    await symlink(process.execPath, join(bin, 'node'))
    const result = await runBin(
      ['start', '--demo-once'],
      cleanEnv({ PATH: bin, REDIS_URL: `redis://127.0.0.1:${port}` }),
      60_000,
    )
    expect(result.code).not.toBe(0)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/Redis.*(docker compose up -d redis|apt-get install redis-server)/)
  }, 90_000)
})
