import { connect, createServer, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { and, eq, sum } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { DeliveryLedger } from '../broadcasts/delivery-ledger.ts'
import { readReceipt } from '../broadcasts/receipt.ts'
import { resendFailed } from '../broadcasts/resend-notice.ts'
import { unsigned } from '../broadcasts/signature.ts'
import type { Db } from '../db/client.ts'
import { openDatabase } from '../db/client.ts'
import { auditLog } from '../db/schema/audit.ts'
import { deliveries, notices } from '../db/schema/broadcasts.ts'
import { groups } from '../db/schema/network.ts'
import { SendQueues } from '../queues/send-queues.ts'
import {
  agreement,
  aroundSends,
  type BroadcastDistrict,
  type BroadcastDistrictOptions,
  FAST_RECONCILE,
  FAST_SEND_RETRIES,
  failSends,
  memberActor,
  noticeCopies,
  startBroadcastDistrict,
  until,
  untilDone,
} from './support/broadcasts-district.ts'
import { createTestDatabase } from './support/pg.ts'
import type { SampleDistrictOptions } from './support/sample-district.ts'

const SHIQIAOPU = '九龙坡区/石桥铺街道'
const STAFF = '石桥铺街道新时代文明实践所工作群'
/** The groups under 石桥铺街道: the staff group, 2 communities, 4 grids, 8 buildings… */
const SUBTREE = 17

/**
 * A TCP proxy between the app's postgres.js pool and PostgreSQL that the test can take down:
 * stop() closes the listener (new connections are refused: ECONNREFUSED) and cuts every open
 * connection (postgres.js: CONNECTION_CLOSED); start() listens again on the same port.
 */
class PgOutage {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  port = 0
  cuts = 0

  constructor(
    private readonly host: string,
    private readonly target: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, this.host)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve))
    const address = server.address()
    if (address && typeof address === 'object') this.port = address.port
    this.server = server
  }

  /** Up again (for the end of a test that failed midway). */
  async running(): Promise<void> {
    if (!this.server) await this.start()
  }

  stop(): void {
    this.cuts++
    this.server?.close()
    this.server = undefined
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
  }
}

describe('notices through a PostgreSQL outage longer than the send retry budget', () => {
  let d: BroadcastDistrict
  let outage: PgOutage
  /** A connection of the test's own, straight to PostgreSQL, for assertions. */
  let direct: Db

  beforeAll(async () => {
    // `database` goes through to the sample district (startBroadcastDistrict spreads its options).
    const opts: BroadcastDistrictOptions & Pick<SampleDistrictOptions, 'database'> = {
      workers: { reconcile: FAST_RECONCILE, sendJobOptions: FAST_SEND_RETRIES },
      database: async () => {
        const real = await createTestDatabase()
        direct = real.db
        const url = new URL(real.url)
        outage = new PgOutage(url.hostname, Number(url.port || 5432))
        await outage.start()
        url.hostname = '127.0.0.1'
        url.port = String(outage.port)
        const proxied = openDatabase({ url: url.toString(), max: 10 })
        return {
          ...real,
          db: proxied.db,
          async close() {
            await proxied.close()
            await real.close()
          },
        }
      },
    }
    d = await startBroadcastDistrict(opts)
  }, 60_000)
  afterAll(async () => {
    await outage?.running()
    await d?.stop()
  })

  /** untilDone on the test's own connection: the district's goes through the outage. */
  const untilDoneHere = (id: number, timeoutMs = 20_000) =>
    until(async () => {
      const [row] = await direct
        .select({ status: notices.status })
        .from(notices)
        .where(eq(notices.id, id))
      return row?.status === 'done'
    }, timeoutMs)

  const send = async (text: string) => {
    const actor = await memberActor(direct, 'wxid_liuyang')
    const created = await createNotice(d.services, {
      actor,
      scope: SHIQIAOPU,
      text,
      replyTo: { account: 'bot-shiqiaopu', roomId: d.network.room(STAFF).room.id },
    })
    if (!created.ok) throw new Error(created.message)
    expect((await confirmNotice(d.services, { id: created.notice.id, actor })).outcome).toBe(
      'confirmed',
    )
    return created.notice.id
  }
  const summaries = (id: number) =>
    d.network.botLines(STAFF).filter((l) => l.includes(`N${id} 发布完毕`))

  it(`${SUBTREE} groups, each exactly one copy, after PostgreSQL is down for 3 s mid fan-out`, async () => {
    const text = '【停电通知】周三 9:00-17:00 线路检修，石桥铺街道辖区停电。'
    // The outage lasts 3 s; the send retry budget in force is 6 attempts 50 ms apart (~0.3 s),
    // ten times shorter: on main every delivery not yet said ended `failed` for good.
    const OUTAGE_MS = 3_000
    const budgetMs = FAST_SEND_RETRIES.attempts * FAST_SEND_RETRIES.backoff.delay
    expect(OUTAGE_MS).toBeGreaterThanOrEqual(10 * budgetMs)
    let said = 0
    let saidAtRestart = -1
    let restarted: Promise<void> | undefined
    const undo = aroundSends(d, 'bot-shiqiaopu', async (_roomId, t, say) => {
      const out = await say()
      if (unsigned(t) === text && ++said === 4) {
        // Down right after the 4th copy: its `sent` write, the next gates, progress, all refused.
        outage.stop()
        restarted = sleep(OUTAGE_MS).then(async () => {
          saidAtRestart = said
          await outage.start()
        })
      }
      return out
    })
    try {
      const id = await send(text)
      await untilDoneHere(id, 50_000)
      await restarted
      expect(outage.cuts).toBe(1)
      // The outage did stop the fan-out midway: the rest went out only once PostgreSQL was back.
      expect(saidAtRestart).toBeGreaterThanOrEqual(4)
      expect(saidAtRestart).toBeLessThan(SUBTREE)
      const a = await agreement(d, id)
      expect(a.rooms).toHaveLength(SUBTREE)
      expect(a.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
      expect(a.outside).toBe(0)
      expect(noticeCopies(d, text)).toHaveLength(SUBTREE)
      // No attempt was used up by the outage: one take per delivery.
      expect(a.rooms.filter((r) => r.attempts !== 1).map((r) => r.topic)).toEqual([])
      const rows = await direct
        .select({ uncertain: deliveries.uncertain })
        .from(deliveries)
        .where(eq(deliveries.noticeId, id))
      expect(rows.filter((r) => r.uncertain !== 0)).toEqual([])
      await until(async () => summaries(id).length > 0, 10_000)
      await sleep(500)
      expect(summaries(id)).toEqual([`通知 N${id} 发布完毕：共 17 个群，送达 17，失败 0。`])
    } finally {
      undo()
    }
  }, 90_000)

  it('flags a send the puppet reported failed but did deliver as 可能重复, with the right count', async () => {
    const text = '【提醒】社区卫生服务站周六义诊，请有需要的居民前往。'
    const topic = '科园社区第二网格2栋居民群'
    const target = d.network.room(topic).room.id
    let lied = 0
    const undo = aroundSends(d, 'bot-shiqiaopu', async (roomId, t, say) => {
      const out = await say()
      // Delivered, and then reported as failed: the send worker retries it.
      if (roomId === target && unsigned(t) === text && lied++ === 0)
        throw new Error('puppet: timeout')
      return out
    })
    try {
      const id = await send(text)
      await untilDone(d, id)
      const a = await agreement(d, id)
      expect(a.rooms.filter((r) => r.copies !== 1)).toEqual([
        { topic, tier: 5, status: 'sent', copies: 2, attempts: 2 },
      ])
      const [total] = await direct
        .select({ n: sum(deliveries.uncertain) })
        .from(deliveries)
        .where(eq(deliveries.noticeId, id))
      expect(Number(total?.n)).toBe(1)
      const receipt = await readReceipt(d.services, {
        id,
        actor: await memberActor(direct, 'wxid_liuyang'),
      })
      expect(receipt.lines).toContain(
        '可能重复 1 个群（平台未确认是否送达，已再发，可能收到两份）：',
      )
      expect(receipt.lines).toContain(`· ${topic}（楼栋）可能重复 1 份`)
      expect(receipt.lines.filter((l) => l.includes('可能重复'))).toHaveLength(2)
    } finally {
      undo()
    }
  })

  it('resends only the failed groups, once; a second resend sends nothing more', async () => {
    const text = '【通知】本周六上午社区广场开展便民服务活动。'
    const dead = ['渝州路社区第一网格1栋居民群', '科园社区第一网格2栋居民群']
    const deadIds = new Set(dead.map((t) => d.network.room(t).room.id))
    const stillDead = d.network.room(dead[1]!).room.id
    let undo = failSends(
      d,
      'bot-shiqiaopu',
      (roomId, t) => unsigned(t) === text && deadIds.has(roomId),
    )
    const fastQueues = new SendQueues(d.services.connection, d.prefix, FAST_SEND_RETRIES)
    try {
      const id = await send(text)
      await untilDone(d, id)
      let a = await agreement(d, id)
      expect(
        a.rooms
          .filter((r) => r.status === 'failed')
          .map((r) => r.topic)
          .sort(),
      ).toEqual([...dead].sort())
      expect(noticeCopies(d, text)).toHaveLength(SUBTREE - 2)
      const receipt = await readReceipt(d.services, {
        id,
        actor: await memberActor(direct, 'wxid_liuyang'),
      })
      // A reason category, never the puppet's text (which names the room).
      expect(receipt.lines).toContain('· 渝州路社区第一网格1栋居民群（楼栋）失败：发送被拒绝')
      const [row] = await direct
        .select({ lastError: deliveries.lastError })
        .from(deliveries)
        .where(and(eq(deliveries.noticeId, id), eq(deliveries.status, 'failed')))
      expect(row?.lastError).toBe('refused')

      // Someone who may not confirm it may not resend it either, and is audited.
      const stranger = await memberActor(direct, 'wxid_gaojianguo')
      const refused = await resendFailed(d.services, { id, actor: stranger })
      expect(refused.outcome).toBe('refused')

      // One of the two rooms takes it now, the other still refuses.
      undo()
      undo = failSends(
        d,
        'bot-shiqiaopu',
        (roomId, t) => unsigned(t) === text && roomId === stillDead,
      )
      const liuyang = await memberActor(direct, 'wxid_liuyang')
      const first = await resendFailed(
        d.services,
        { id, actor: liuyang },
        { sendQueues: fastQueues },
      )
      expect(first).toMatchObject({ outcome: 'resent', resent: 2, queued: true })
      expect(first.message).toBe(
        `通知 N${id}：2 个发送失败的群已重新排队发送（每个群只重发一次）。发送「回执 N${id}」查看进度。`,
      )
      await untilDone(d, id)
      a = await agreement(d, id)
      expect(a.rooms.filter((r) => r.status !== 'sent').map((r) => r.topic)).toEqual([dead[1]])
      expect(a.rooms.filter((r) => r.status === 'sent' && r.copies !== 1)).toEqual([])
      expect(noticeCopies(d, text)).toHaveLength(SUBTREE - 1)

      // The room that failed again was resent once already: nothing more goes out.
      undo()
      undo = () => {}
      const second = await resendFailed(
        d.services,
        { id, actor: liuyang },
        { sendQueues: fastQueues },
      )
      expect(second).toMatchObject({ outcome: 'alreadyResent', resent: 0 })
      await sleep(1_000)
      expect(noticeCopies(d, text)).toHaveLength(SUBTREE - 1)
      const [notice] = await direct.select().from(notices).where(eq(notices.id, id))
      expect(notice?.status).toBe('done')

      // One summary per round: the fan-out's, then the resend's.
      await until(async () => summaries(id).length === 2, 10_000)
      expect(summaries(id)).toEqual([
        `通知 N${id} 发布完毕：共 17 个群，送达 15，失败 2。发送「回执 N${id}」查看未送达的群。`,
        `通知 N${id} 发布完毕：共 17 个群，送达 16，失败 1。发送「回执 N${id}」查看未送达的群。`,
      ])
      const audits = await direct
        .select({ allowed: auditLog.allowed, actorRef: auditLog.actorRef })
        .from(auditLog)
        .where(eq(auditLog.action, 'notice.resend'))
      expect(audits).toEqual([
        { allowed: false, actorRef: 'wxid_gaojianguo' },
        { allowed: true, actorRef: 'wxid_liuyang' },
      ])
    } finally {
      undo()
      await fastQueues.close()
    }
  }, 60_000)

  it('says the final summary exactly once when Redis refused it as the fan-out finished', async () => {
    // Simulated at the messenger: the one call that queues this notice's summary throws what
    // ioredis throws on a closed connection, as the notice is marked done; every other Redis
    // call (the sends themselves) goes through.
    const text = '【提醒】明日气温骤降，请居民注意防寒保暖。'
    const messenger = d.services.messenger
    const original = messenger.toRoom.bind(messenger)
    let refusedSummaries = 0
    let summaryCalls = 0
    messenger.toRoom = async (account, roomId, msg, jobId) => {
      if (jobId?.endsWith('-done') && msg.text.includes('发布完毕')) {
        summaryCalls++
        if (refusedSummaries === 0) {
          refusedSummaries++
          throw new Error('Connection is closed.')
        }
      }
      return original(account, roomId, msg, jobId)
    }
    try {
      const id = await send(text)
      await untilDone(d, id)
      await until(async () => summaries(id).length > 0, 10_000)
      // The reconciler runs every 100 ms: give it many more chances to say it again.
      await sleep(1_500)
      expect(refusedSummaries).toBe(1)
      expect(summaryCalls).toBeGreaterThanOrEqual(2)
      expect(summaries(id)).toEqual([`通知 N${id} 发布完毕：共 17 个群，送达 17，失败 0。`])
      const [notice] = await direct.select().from(notices).where(eq(notices.id, id))
      expect(notice?.summarizedAt).not.toBeNull()
    } finally {
      messenger.toRoom = original
    }
  })

  it('flags the room a crashed process said into before recording it, once the reconciler resends it', async () => {
    // What a bot process killed between the puppet's say and any record leaves: the gate's take
    // (sending, outcome unknown), the copy in the room, and no job in Redis. Confirmed without
    // queueing, so the reconciler alone sends the notice.
    const text = '【提醒】周五下午社区党群服务中心开展政策宣讲。'
    const topic = '渝州路社区第二网格1栋居民群'
    const actor = await memberActor(direct, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: SHIQIAOPU, text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    const { room, account } = d.network.room(topic)
    await d.services.messenger.toRoom(account.name, room.id, { text, kind: 'reply' })
    await until(async () => noticeCopies(d, text).length === 1)
    const [group] = await direct.select().from(groups).where(eq(groups.topic, topic))
    await direct
      .update(deliveries)
      .set({ status: 'sending', attempts: 1, outcomeUnknown: true })
      .where(and(eq(deliveries.noticeId, id), eq(deliveries.groupId, group!.id)))
    expect((await confirmNotice(d.services, { id, actor }, { queueFanout: false })).outcome).toBe(
      'confirmed',
    )
    await untilDoneHere(id)
    const a = await agreement(d, id)
    expect(a.rooms.filter((r) => r.copies !== 1)).toEqual([
      { topic, tier: 5, status: 'sent', copies: 2, attempts: 2 },
    ])
    const rows = await direct
      .select({ uncertain: deliveries.uncertain })
      .from(deliveries)
      .where(eq(deliveries.noticeId, id))
    expect(rows.map((r) => r.uncertain).reduce((x, y) => x + y, 0)).toBe(1)
    const receipt = await readReceipt(d.services, { id, actor })
    expect(receipt.lines).toContain(`· ${topic}（楼栋）可能重复 1 份`)
  })

  it('records a give-up as failed even when PostgreSQL is down at that moment', async () => {
    const text = '【通知】下周一起社区服务中心办公时间调整。'
    const actor = await memberActor(direct, 'wxid_liuyang')
    const created = await createNotice(d.services, { actor, scope: SHIQIAOPU, text })
    if (!created.ok) throw new Error(created.message)
    const [row] = await direct
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(eq(deliveries.noticeId, created.notice.id))
      .limit(1)
    const ledger = new DeliveryLedger(d.services)
    outage.stop()
    const back = sleep(1_500).then(() => outage.start())
    try {
      const msg = { roomId: 'r', text, kind: 'notice' as const, ref: `delivery:${row!.id}` }
      await ledger.failed(msg, String(row!.id), 'Failed query: update … params: 42', 'refused')
    } finally {
      await back
    }
    const [after] = await direct
      .select({ status: deliveries.status, lastError: deliveries.lastError })
      .from(deliveries)
      .where(eq(deliveries.id, row!.id))
    expect(after).toEqual({ status: 'failed', lastError: 'refused' })
  })
})
