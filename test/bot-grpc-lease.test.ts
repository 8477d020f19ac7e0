import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unsigned } from '../broadcasts/signature.ts'
import type { BinProcess } from './support/cli.ts'
import {
  CHILD_TEST_MS,
  GRPC_PACING,
  type GrpcDistrict,
  startGrpcDistrict,
} from './support/grpc-district.ts'

const MIN_GAP = Number(GRPC_PACING.PACING_MIN_GAP_MS)
const LEASE_MS = 3_000
const lease = { ACCOUNT_LEASE_MS: String(LEASE_MS) }
const STANDING_BY = /已由另一进程/

describe(
  'one sender per account: two `quanqun bot` for one puppet-service account',
  () => {
    let d: GrpcDistrict
    let first: BinProcess
    let second: BinProcess
    beforeAll(async () => {
      d = await startGrpcDistrict()
      d.worker()
      first = d.bot(lease)
      await first.waitFor(/rooms synced/)
      second = d.bot(lease)
      await second.waitFor(/role started/)
    })
    afterAll(async () => {
      await d?.stop()
    })

    const answered = async (wechatId: string, topic: string, withinMs: number) => {
      const since = Date.now()
      await d.provider.say(wechatId, topic, '点单 楼道灯坏了')
      const reply = await d.saidIn(topic, '已收到您的点单', since, withinMs)
      return reply.at - since
    }

    it('the second says in one line who holds the account, and neither logs in nor sends', async () => {
      const line = JSON.parse(await second.waitFor(STANDING_BY))
      expect(line.msg).toContain('bot-shiqiaopu')
      expect(line.holder).toContain(`:${first.child.pid}:`)
      expect(second.lines.filter((l) => STANDING_BY.test(l))).toHaveLength(1)
      expect(second.lines.some((l) => /logged in|rooms synced/.test(l))).toBe(false)
    })

    it('a notice while both run: each of the 17 rooms once, the gap held at the provider', async () => {
      const text = '石桥铺街道各群：两个进程同时在线时的通知。'
      const since = Date.now()
      await d.notice(text)
      const end = Date.now() + 20_000
      const mine = async () => (await d.provider.said()).filter((s) => unsigned(s.text) === text)
      while ((await mine()).length < 17 && Date.now() < end)
        await new Promise((r) => setTimeout(r, 100))
      await new Promise((r) => setTimeout(r, MIN_GAP * 2))
      const lines = await mine()
      expect(lines).toHaveLength(17)
      expect(new Set(lines.map((s) => s.roomId)).size).toBe(17)
      const sends = (await d.provider.said()).filter((s) => s.at >= since).map((s) => s.at)
      const gaps = sends.slice(1).map((at, i) => at - sends[i]!)
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_GAP)
      expect(second.lines.some((l) => /said|logged in/.test(l))).toBe(false)
    })

    it('stopping the second leaves the owner’s puppet alone: it still answers within seconds', async () => {
      expect(await second.stop('SIGTERM')).toBe(0)
      expect(await answered('wxid_linxiuying', '科园社区第一网格1栋居民群', 5_000)).toBeLessThan(
        5_000,
      )
    })

    it('kill -9 the owner: a standing-by process takes over once the lease expires, and answers', async () => {
      const third = d.bot(lease)
      await third.waitFor(STANDING_BY)
      const killed = Date.now()
      await first.stop('SIGKILL')
      await third.waitFor(/account taken over/, LEASE_MS * 3)
      const took = Date.now() - killed
      await third.waitFor(/rooms synced/)
      // Not before the dead owner's lease ran out (last renewed at most a third of it before the
      // kill), nor long after (the standing-by process asks every third of it).
      expect(took).toBeGreaterThan((LEASE_MS * 2) / 3 - 100)
      expect(took).toBeLessThan(LEASE_MS * 2)
      expect(await answered('wxid_gaojianguo', '科园社区第一网格2栋居民群', 10_000)).toBeLessThan(
        10_000,
      )
    })
  },
  CHILD_TEST_MS,
)
