import { type AddressInfo, createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BinProcess } from './support/cli.ts'
import {
  CHILD_TEST_MS,
  GRPC_ACCOUNT,
  type GrpcDistrict,
  startGrpcDistrict,
} from './support/grpc-district.ts'
import { freePort, startProvider } from './support/grpc-provider.ts'

const BUILDING = '科园社区第一网格1栋居民群'

describe(
  'quanqun bot and a puppet-service provider that goes away',
  () => {
    let d: GrpcDistrict
    let bot: BinProcess
    const stops: (() => Promise<unknown>)[] = []
    beforeAll(async () => {
      d = await startGrpcDistrict()
      bot = d.bot()
      await bot.waitFor(/rooms synced/)
    })
    afterAll(async () => {
      await Promise.allSettled(stops.map((stop) => stop()))
      await d?.stop()
    })

    /** A bot of its own (its own queue prefix, so not waiting on the other's lease). */
    let n = 0
    const lone = (extra: Record<string, string>) =>
      d.bot({ QUEUE_PREFIX: `${d.redis.prefix}:lone${++n}`, ...extra })

    it('a provider restart: detected at once, reconnected in seconds, the next message answered', async () => {
      const killed = Date.now()
      await d.provider.restart()
      const up = Date.now()
      const lost = JSON.parse(await bot.waitFor(/连接断开/, 5_000))
      expect(lost.msg).toBe(`${GRPC_ACCOUNT}：与 puppet 服务的连接断开，正在重连`)
      // At once: the stream's end, not the puppet's one-minute watchdog.
      expect(lost.time - killed).toBeLessThan(2_000)
      await new Promise((r) => setTimeout(r, 3_000))
      const since = Date.now()
      await d.provider.say('wxid_linxiuying', BUILDING, '点单 楼道灯坏了')
      const reply = await d.saidIn(BUILDING, '已收到您的点单', since, 20_000)
      expect(reply.at - since).toBeLessThan(20_000)
      const back = JSON.parse(await bot.waitFor(/"reconnected"/))
      // Within moments of the provider answering again (its own restart takes seconds).
      console.log(`provider back → reconnected: ${back.time - up} ms, offline ${back.offlineMs} ms`)
      expect(back.time - up).toBeLessThan(5_000)
      // The rooms are synced again for the new session, once, though the provider says ready twice.
      const syncs = () => bot.lines.filter((l) => l.includes('rooms synced')).length
      for (const end = Date.now() + 5_000; syncs() < 2 && Date.now() < end; ) {
        await new Promise((r) => setTimeout(r, 50))
      }
      await new Promise((r) => setTimeout(r, 500))
      expect(syncs()).toBe(2)
    })

    describe('at start-up (three bots side by side, none waiting on another)', () => {
      let started: number
      let wrong: BinProcess
      let gone: BinProcess
      let silent: BinProcess
      let hole: Server
      let late: BinProcess
      let lateProvider: Promise<unknown>
      beforeAll(async () => {
        started = Date.now()
        const nobody = await freePort()
        // Accepts connections and never says a word.
        hole = createServer(() => {})
        await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()))
        silent = lone({
          WECHATY_PUPPET_SERVICE_ENDPOINT: `127.0.0.1:${(hole.address() as AddressInfo).port}`,
          PUPPET_START_RETRIES: '1',
          PUPPET_RETRY_FIRST_MS: '200',
          PUPPET_START_TIMEOUT_MS: '2000',
        })
        stops.push(async () => hole.close())
        const port = await freePort()
        wrong = lone({ WECHATY_PUPPET_SERVICE_TOKEN: 'insecure_not-the-token' })
        gone = lone({
          WECHATY_PUPPET_SERVICE_ENDPOINT: `127.0.0.1:${nobody}`,
          PUPPET_START_RETRIES: '2',
          PUPPET_RETRY_FIRST_MS: '200',
        })
        late = lone({
          WECHATY_PUPPET_SERVICE_ENDPOINT: `127.0.0.1:${port}`,
          PUPPET_START_RETRIES: '6',
          PUPPET_RETRY_FIRST_MS: '300',
        })
        // The provider comes up only once the bot has found it down.
        lateProvider = late.waitFor(/连不上微信服务/).then(async () => {
          const provider = await startProvider({
            databaseUrl: d.t.url,
            account: GRPC_ACCOUNT,
            port,
            token: d.provider.token,
          })
          stops.push(() => provider.stop())
        })
      })
      const why = (p: BinProcess) => p.lines.slice(p.lines.findIndex((l) => l.startsWith('错误')))

      it('a bad token: exits non-zero within a minute, one reason naming the account and the fix', async () => {
        expect(await wrong.exited).not.toBe(0)
        expect(Date.now() - started).toBeLessThan(60_000)
        // Not retried: one log line, and the role's one reason.
        expect(wrong.lines.filter((l) => l.includes('"kind":"token"'))).toHaveLength(1)
        expect(why(wrong)).toEqual([
          '错误: 没有机器人账号能启动：',
          `  ${GRPC_ACCOUNT}：token 缺失或无效：检查 WECHATY_PUPPET_SERVICE_TOKEN（向服务商核对）`,
        ])
      })

      it('an endpoint that never answers: given up after the configured retries, non-zero', async () => {
        expect(await gone.exited).not.toBe(0)
        expect(Date.now() - started).toBeLessThan(60_000)
        // The first try and two retries, then given up.
        expect(gone.lines.filter((l) => l.includes('"kind":"network"'))).toHaveLength(3)
        expect(why(gone)).toEqual([
          '错误: 没有机器人账号能启动：',
          `  ${GRPC_ACCOUNT}：连不上 puppet 服务：检查 WECHATY_PUPPET_SERVICE_ENDPOINT、网络和服务商状态（重试 2 次仍失败，已放弃；修正后重启 quanqun bot）`,
        ])
      })

      it('an endpoint that accepts and never answers: each try times out, then given up', async () => {
        expect(await silent.exited).not.toBe(0)
        expect(Date.now() - started).toBeLessThan(60_000)
        expect(silent.lines.filter((l) => l.includes('"kind":"network"'))).toHaveLength(2)
        expect(why(silent)[1]).toMatch(/连不上 puppet 服务.*重试 1 次仍失败/)
      })

      it('a transient outage is retried: the provider comes up late, the bot logs in', async () => {
        await lateProvider
        const synced = JSON.parse(await late.waitFor(/rooms synced/))
        expect(synced).toMatchObject({ rooms: 17, bound: 17 })
        expect(late.child.exitCode).toBeNull()
      })
    })
  },
  CHILD_TEST_MS,
)
