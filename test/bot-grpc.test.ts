import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BinProcess } from './support/cli.ts'
import {
  CHILD_TEST_MS,
  GRPC_PACING,
  type GrpcDistrict,
  startGrpcDistrict,
} from './support/grpc-district.ts'

const BUILDING = '科园社区第一网格1栋居民群'
const WORKERS = '科园社区志愿服务工作群'
const MIN_GAP = Number(GRPC_PACING.PACING_MIN_GAP_MS)
const COOLDOWN = Number(GRPC_PACING.PACING_COOLDOWN_MS)

describe.each([
  ['plain gRPC', false],
  ['TLS (the package’s certificate, an insecure_ token)', true],
])(
  'quanqun bot and worker over %s (wechaty-puppet-service)',
  (_, tls) => {
    let d: GrpcDistrict
    let bot: BinProcess
    beforeAll(async () => {
      d = await startGrpcDistrict({ tls })
      d.worker()
      bot = d.bot()
    })
    afterAll(async () => {
      await d?.stop()
    })

    it('logs in and binds the account’s 17 rooms, synced once per login', async () => {
      const line = JSON.parse(await bot.waitFor(/rooms synced/))
      expect(line).toMatchObject({ account: 'bot-shiqiaopu', rooms: 17, bound: 17, unbound: 0 })
      // The provider signals ready twice per login (on the stream and from the puppet).
      await new Promise((r) => setTimeout(r, 500))
      expect(bot.lines.filter((l) => l.includes('rooms synced'))).toHaveLength(1)
    })

    it('点单 → the resident’s reply → 【派单】 to the workers’ room', async () => {
      const since = Date.now()
      await d.provider.say('wxid_linxiuying', BUILDING, '点单 楼道灯坏了 麻烦来修一下')
      const reply = await d.saidIn(BUILDING, '已收到您的点单 A0001', since)
      expect(reply.text).toMatch(/^@林秀英 /)
      const dispatch = await d.saidIn(WORKERS, '【派单】A0001', since)
      expect(dispatch.text).toContain('@孙丽')
    })

    it('a notice reaches each of the 17 rooms once, paced at the provider’s clock', async () => {
      const text = `石桥铺街道各群：本周六开展消防安全演练（${tls ? 'TLS' : 'plain'}）。`
      const since = Date.now()
      await d.notice(text)
      const end = Date.now() + 20_000
      let lines = (await d.provider.said()).filter((s) => s.text.includes(text))
      while (lines.length < 17 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100))
        lines = (await d.provider.said()).filter((s) => s.text.includes(text))
      }
      await new Promise((r) => setTimeout(r, MIN_GAP * 2))
      lines = (await d.provider.said()).filter((s) => s.text.includes(text))
      expect(new Set(lines.map((s) => s.roomId)).size).toBe(17)
      expect(lines).toHaveLength(17)
      // Every send of the account in that time, notices and anything else, as WeChat saw them.
      const sends = (await d.provider.said()).filter((s) => s.at >= since).map((s) => s.at)
      const gaps = sends.slice(1).map((at, i) => at - sends[i]!)
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_GAP)
    })

    it('a send refused as throttled (操作过于频繁) cools the account down, then goes', async () => {
      await d.provider.fail(1, '操作过于频繁，请稍后再试')
      const since = Date.now()
      await d.provider.say('wxid_gaojianguo', '科园社区第一网格2栋居民群', '点单 下水道堵了')
      await bot.waitFor(/account cooling down/)
      const reply = await d.saidIn('科园社区第一网格2栋居民群', '已收到您的点单', since)
      expect(reply.at - since).toBeGreaterThanOrEqual(COOLDOWN)
    })
  },
  CHILD_TEST_MS,
)
