import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import { runBroadcastWorkers } from '../broadcasts/workers.ts'
import { doctor } from '../cli/commands/doctor.ts'
import { statusCli } from '../cli/commands/status.ts'
import { loadConfig } from '../core/config.ts'
import { startOrderWorkers } from '../orders/workers.ts'
import { redisMasters } from '../queues/connection.ts'
import { FANOUT_QUEUE } from '../queues/fanout-queue.ts'
import { sendQueueName } from '../queues/send-queue.ts'
import { SLA_QUEUE } from '../queues/sla-options.ts'
import {
  agreement,
  codeIn,
  FAST_PACING,
  FAST_SEND_RETRIES,
  memberActor,
  noticeCopies,
  replyTo,
  untilDone,
} from './support/broadcasts-district.ts'
import { runCli } from './support/cli.ts'
import { botSays } from './support/orders-helpers.ts'
import { keysUnder } from './support/redis.ts'
import { type LocalCluster, startLocalCluster } from './support/redis-cluster.ts'
import { type SampleDistrict, startSampleDistrict, until } from './support/sample-district.ts'

const STAFF = '石桥铺街道新时代文明实践所工作群'
const TOWNSHIP = '九龙坡区/石桥铺街道'
const BUILDING = '科园社区第一网格1栋居民群'
const GRID = '科园社区第一网格居民群'
const WORKERS = '科园社区志愿服务工作群'
const SHIQIAOPU = sendQueueName('bot-shiqiaopu')

/** Which master holds the keys of each queue of the district, by the master's port. */
async function mastersOfQueues(d: SampleDistrict): Promise<Map<string, Set<number>>> {
  const perMaster = await keysUnder(d.services.connection, d.prefix)
  const ports = redisMasters(d.services.connection).map((m) => m.options.port!)
  const found = new Map<string, Set<number>>()
  perMaster.forEach((keys, i) => {
    for (const key of keys) {
      const queue = key.slice(d.prefix.length + 1, key.indexOf('}') + 1)
      const set = found.get(queue) ?? new Set()
      set.add(ports[i]!)
      found.set(queue, set)
    }
  })
  return found
}

describe('REDIS_CLUSTER_NODES', () => {
  it('is read into seed nodes; a malformed list or a hash-tagged prefix stops the start', () => {
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-b.internal:7001 ' })
        .redisClusterNodes,
    ).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b.internal', port: 7001 },
    ])
    expect(loadConfig({}).redisClusterNodes).toBeUndefined()
    for (const bad of [
      '10.0.0.1',
      'a:7000,',
      'a:0',
      'a:70000',
      ':7000',
      'a:7000;b:7001',
      'ａ:7000',
    ])
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: bad }), bad).toThrow(/REDIS_CLUSTER_NODES/)
    // A tag in the prefix would put every queue in one slot: refused on a cluster only.
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: '{qq}' })).toThrow(
      /QUEUE_PREFIX/,
    )
    expect(loadConfig({ QUEUE_PREFIX: '{qq}' }).queuePrefix).toBe('{qq}')
  })
})

describe('on a Redis Cluster of three masters (redis-server children, AOF on)', () => {
  let cluster: LocalCluster | undefined
  let d: SampleDistrict | undefined
  const district = () => d!

  beforeAll(async () => {
    cluster = await startLocalCluster(3)
    d = await startSampleDistrict({
      redisUrl: cluster.url,
      redisClusterNodes: cluster.nodes,
      // Slow enough that a township's notice (17 groups) takes seconds: a master can restart
      // with its sends still waiting.
      pacing: { ...FAST_PACING, minGapMs: 150 },
      // No reconciler: a job the restart lost would leave its group unsent, not be re-queued.
      workers: async (services) => {
        const running = [
          await runBroadcastWorkers(services, {
            reconcile: false,
            sendJobOptions: FAST_SEND_RETRIES,
          }),
          ...(await startOrderWorkers(services)),
        ]
        return { close: async () => void (await Promise.all(running.map((r) => r.close()))) }
      },
    })
  })

  afterAll(async () => {
    try {
      // A cluster left broken by a failed test must not keep the servers alive: give up after 15 s.
      await Promise.race([d?.stop(), new Promise((r) => setTimeout(r, 15_000).unref())])
    } finally {
      await cluster?.stop()
    }
  })

  it('fans a township notice out by chat: each of its 17 groups once, receipts complete', async () => {
    const text = '本周六上午9点石桥铺街道开展垃圾分类宣传，请各小区志愿者准时到岗。'
    const preview = replyTo(district(), STAFF, '共 17 个群')
    district().network.say('wxid_liuyang', STAFF, `通知 ${text}`)
    const id = codeIn((await preview).text)
    const confirmed = replyTo(district(), STAFF, `通知 N${id} 已确认，开始发布到 17 个群`)
    district().network.say('wxid_liuyang', STAFF, `确认 N${id}`)
    await confirmed
    await untilDone(district(), id)

    const a = await agreement(district(), id)
    expect(a.rooms).toHaveLength(17)
    expect(a.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
    expect(a.outside).toBe(0)
    const summaries = () =>
      district()
        .network.botLines(STAFF)
        .filter((l) => l.includes(`通知 N${id} 发布完毕`))
    await until(async () => summaries().length > 0)
    expect(summaries()).toEqual([`通知 N${id} 发布完毕：共 17 个群，送达 17，失败 0。`])
  })

  it('carries an order through 点单 → 【派单】 → 接单 → 完成', async () => {
    const { network } = district()
    const placedReply = botSays(network, BUILDING, '已收到您的点单')
    const dispatched = botSays(network, WORKERS, '【派单】')
    network.say('wxid_linxiuying', BUILDING, '点单 楼道灯坏了，晚上看不见路，麻烦来修一下')
    const code = /[A-Z]\d{4,6}/.exec((await placedReply).text)![0]
    expect((await dispatched).text).toContain(`${code} 公共设施维修 @孙丽`)

    const accepted = botSays(network, WORKERS, `@孙丽 已接单 ${code}`)
    const residentTold = botSays(network, BUILDING, '已由孙丽接单')
    network.say('wxid_sunli', WORKERS, `接单 ${code}`)
    await Promise.all([accepted, residentTold])

    const done = botSays(network, GRID, `${code} 已办结`)
    const askedToRate = botSays(network, BUILDING, `评价 ${code}`)
    network.say('wxid_sunli', GRID, `完成 ${code} 已更换灯泡，用时2小时`)
    await done
    expect((await askedToRate).text).toContain('已更换灯泡')
  })

  it('hash-tags every queue: one master per queue, the queues spread over the masters', async () => {
    const masters = await mastersOfQueues(district())
    const sendQueues = [...masters.keys()].filter((q) => q.startsWith('{send-'))
    expect(sendQueues.sort()).toEqual([SHIQIAOPU, sendQueueName('bot-yangjiaping')].sort())
    for (const [queue, on] of masters) expect([queue, on.size]).toEqual([queue, 1])
    const sendMasters = new Set(sendQueues.flatMap((q) => [...masters.get(q)!]))
    expect(sendMasters.size).toBeGreaterThan(1)
    expect(masters.has(FANOUT_QUEUE)).toBe(true)
    expect(masters.has(SLA_QUEUE)).toBe(true)
    const all = new Set([...masters.values()].flatMap((s) => [...s]))
    expect(all.size).toBe(3)
  })

  it('a master restarting mid-notice (AOF on) loses no job: each group gets it exactly once', async () => {
    const text = '石桥铺街道下周一起调整社区卫生服务站开放时间，详见各社区公告栏。'
    const actor = await memberActor(district().t.db, 'wxid_liuyang')
    const created = await createNotice(district().services, { actor, scope: TOWNSHIP, text })
    if (!created.ok) throw new Error(created.message)
    const id = created.notice.id
    await confirmNotice(district().services, { id, actor })
    await until(async () => noticeCopies(district(), text).length >= 3)

    const [port] = (await mastersOfQueues(district())).get(SHIQIAOPU)!
    const before = noticeCopies(district(), text).length
    expect(before).toBeLessThan(17)
    const restartAt = Date.now()
    await cluster!.restart(port!)
    const restartMs = Date.now() - restartAt

    await untilDone(district(), id, 30_000)
    console.info(
      `cluster restart: ${before} of 17 sent before the master holding ${SHIQIAOPU} stopped,` +
        ` back in ${restartMs} ms, notice done ${Date.now() - restartAt} ms after the stop`,
    )
    const a = await agreement(district(), id)
    expect(a.rooms).toHaveLength(17)
    expect(a.rooms.filter((r) => r.status !== 'sent' || r.copies !== 1)).toEqual([])
    expect(a.outside).toBe(0)
  }, 45_000)

  it('the CLI on the cluster: doctor checks every master and names the ones not set up; status', async () => {
    const env = {
      DATABASE_URL: district().t.url,
      REDIS_URL: cluster!.url,
      REDIS_CLUSTER_NODES: cluster!.nodeList,
    }
    const redisLines = async (e: Record<string, string>) =>
      (await runCli(doctor, e)).lines.filter((l) => /^. Redis：/.test(l))
    expect(await redisLines(env)).toEqual([
      expect.stringMatching(/^✓ Redis：版本 [\d.]+，集群模式，3 个主节点$/),
      '✓ Redis：AOF 已开启',
      '✓ Redis：maxmemory-policy noeviction',
    ])
    const [, second] = redisMasters(district().services.connection)
    await second!.config('SET', 'maxmemory-policy', 'allkeys-lru')
    try {
      expect((await redisLines(env))[2]).toBe(
        '✗ Redis：maxmemory-policy allkeys-lru（1/3 个主节点）：内存满时会删掉排队中的任务（设置 maxmemory-policy noeviction）',
      )
    } finally {
      await second!.config('SET', 'maxmemory-policy', 'noeviction')
    }
    expect(await redisLines({ ...env, REDIS_CLUSTER_NODES: '127.0.0.1:1' })).toEqual([
      expect.stringMatching(/^✗ Redis：无法连接/),
    ])

    // status reads each account's queue counts (a script over the queue's keys) on the cluster.
    // The restart before may leave a finished page job counted active until BullMQ's stalled
    // check takes it back (up to its 30 s interval): the counts are read, not required to be 0.
    const status = (await runCli(statusCli, { ...env, QUEUE_PREFIX: district().prefix })).lines
    for (const account of ['bot-shiqiaopu', 'bot-yangjiaping']) {
      expect(status).toContainEqual(
        expect.stringMatching(new RegExp(`^  ${account}  在线  待发 \\d+，发送中 \\d+，失败 0$`)),
      )
    }
    expect(status).toContain('发布中的通知：0')
  })
})
