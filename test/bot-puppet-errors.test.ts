import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WechatyBuilder } from 'wechaty'
import { mock, PuppetMock } from 'wechaty-puppet-mock'
import { botWiring } from '../app/bot-wiring.ts'
import { startBots } from '../bot/bot-fleet.ts'
import { buildWechaty } from '../bot/puppet.ts'
import { classifyPuppetError, lostConnection } from '../bot/puppet-errors.ts'
import { botAccounts } from '../db/schema/network.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'
import { createTestRedis, type TestRedis } from './support/redis.ts'
import { FAST_PACING } from './support/sample-district.ts'
import { testServices } from './support/sample-services.ts'

/** The mock puppet, but its start fails with `errors`, one per try, before it works. */
class FailingPuppet extends PuppetMock {
  constructor(errors: Error[]) {
    super({ mocker: new mock.Mocker() })
    // start is an instance property of the puppet's service mixin, not a method to override.
    const start = this.start.bind(this)
    this.start = async () => {
      const next = errors.shift()
      if (next) throw next
      return start()
    }
  }
}

describe('classifyPuppetError', () => {
  it.each([
    ['16 UNAUTHENTICATED: Invalid Wechaty TOKEN "insecure_x"', 'token', true],
    ['WECHATY_PUPPET_SERVICE_TOKEN not found', 'token', true],
    [
      '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:8788',
      'network',
      false,
    ],
    ['getaddrinfo ENOTFOUND puppet.example', 'network', false],
    ['13 INTERNAL: Received RST_STREAM with code 2', 'network', false],
    ['account banned by WeChat', 'banned', true],
    ['该账号已被封号', 'banned', true],
    ['logout: user logged out on phone', 'logged-out', false],
    ['something else entirely', 'unknown', false],
    ["Cannot find package 'wechaty-puppet-wechat4u' imported from …", 'not-installed', true],
  ])('%s → %s', (text, kind, fatal) => {
    expect(classifyPuppetError(new Error(text))).toMatchObject({ kind, fatal })
  })
})

describe('lostConnection', () => {
  it.each([
    ['14 UNAVAILABLE: Connection dropped', true],
    ['13 INTERNAL: Received RST_STREAM with code 2 triggered by internal client error', true],
    ['Error: 1 CANCELLED: Call cancelled', true],
    ['read ECONNRESET', true],
    // Relayed by the provider from its puppet: the connection itself is fine.
    ['monitorHeartbeat$() TIMEOUT(60000)', false],
    ['network request to the WeChat server timed out', false],
    ['16 UNAUTHENTICATED: Invalid Wechaty TOKEN', false],
  ])('%s → %s', (text, lost) => {
    expect(lostConnection(new Error(text))).toBe(lost)
  })
})

describe('a bot whose puppet fails to start', () => {
  let t: TestDatabase
  let redis: TestRedis
  const lines: Record<string, unknown>[] = []
  beforeAll(async () => {
    t = await createTestDatabase()
    redis = await createTestRedis()
  })
  afterAll(async () => {
    await redis?.close()
    await t?.close()
  })

  const services = () =>
    testServices(t.db, redis.connection, redis.prefix, {
      log: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }),
    })
  const row = async (name: string) =>
    (await t.db.select().from(botAccounts).where(eq(botAccounts.name, name)))[0]

  it('keeps trying an unreachable service, gives up on a bad token, one human line each', async () => {
    const s = services()
    const bots = await startBots({
      ...botWiring(s),
      services: s,
      puppetName: 'test-failing',
      pacing: FAST_PACING,
      retryFirstMs: 50,
      accounts: [
        {
          name: 'bot-token',
          wechaty: WechatyBuilder.build({
            puppet: new FailingPuppet([new Error('16 UNAUTHENTICATED: Invalid Wechaty TOKEN')]),
          }),
        },
        {
          name: 'bot-logout',
          wechaty: WechatyBuilder.build({
            puppet: new FailingPuppet([new Error('login expired: user logged out on the phone')]),
          }),
        },
        {
          name: 'bot-network',
          wechaty: WechatyBuilder.build({
            puppet: new FailingPuppet([
              new Error('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:8788'),
              new Error('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:8788'),
            ]),
          }),
        },
      ],
    })
    try {
      expect(await row('bot-token')).toMatchObject({ state: 'offline', lastError: 'token' })
      // Two failed tries, then it starts: the recorded reason is cleared.
      for (let i = 0; i < 100 && (await row('bot-network'))?.lastError !== null; i++) {
        await new Promise((r) => setTimeout(r, 50))
      }
      expect((await row('bot-network'))?.lastError).toBeNull()
      expect((await row('bot-logout'))?.lastError).toBeNull()
      const errors = lines.filter((l) => l.level === 50)
      // The accounts start side by side: their lines interleave.
      expect(errors.map((l) => l.msg).sort()).toEqual(
        [
          'bot-token：token 缺失或无效：检查 WECHATY_PUPPET_SERVICE_TOKEN（向服务商核对）',
          'bot-logout：账号已退出登录：运行 quanqun bot 后用该账号的微信重新扫码',
          'bot-network：连不上微信服务：检查网络或服务商地址，稍后自动重试',
          'bot-network：连不上微信服务：检查网络或服务商地址，稍后自动重试',
        ].sort(),
      )
      // One line each: no stack traces at error level.
      for (const l of errors) expect(l).not.toHaveProperty('err')
    } finally {
      await bots.stop()
    }
  })

  it('a real puppet on a fresh data directory: the session folder is made, one line, no crash', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'qq-puppet-'))
    const s = services()
    lines.length = 0
    try {
      await expect(
        startBots({
          ...botWiring(s),
          services: s,
          puppetName: 'wechaty-puppet-not-installed',
          pacing: FAST_PACING,
          accounts: ['bot-real-a', 'bot-real-b'].map((name) => ({
            name,
            wechaty: buildWechaty({
              account: name,
              puppet: 'wechaty-puppet-not-installed',
              dataDir,
            }),
          })),
        }),
      ).rejects.toThrow(
        /^没有机器人账号能启动：\n {2}bot-real-a：WECHATY_PUPPET 指定的 puppet 未安装/,
      )
      expect(existsSync(join(dataDir, 'wechaty'))).toBe(true)
      const errors = lines.filter((l) => l.level === 50).map((l) => l.msg)
      // Side by side, so in either order.
      expect(errors.sort()).toEqual([
        'bot-real-a：WECHATY_PUPPET 指定的 puppet 未安装：用 npm install 安装它，或改正包名',
        'bot-real-b：WECHATY_PUPPET 指定的 puppet 未安装：用 npm install 安装它，或改正包名',
      ])
      expect(await row('bot-real-a')).toMatchObject({ lastError: 'not-installed' })
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('fails the role with every account’s reason when none can start', async () => {
    const s = services()
    await expect(
      startBots({
        ...botWiring(s),
        services: s,
        puppetName: 'test-failing',
        pacing: FAST_PACING,
        accounts: [
          {
            name: 'bot-banned',
            wechaty: WechatyBuilder.build({
              puppet: new FailingPuppet([new Error('account banned')]),
            }),
          },
        ],
      }),
    ).rejects.toThrow('没有机器人账号能启动：\n  bot-banned：账号被微信封禁或限制')
    expect(await row('bot-banned')).toMatchObject({ state: 'banned', lastError: 'banned' })
  })
})
