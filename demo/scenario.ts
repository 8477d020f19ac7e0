import { eq } from 'drizzle-orm'
import type { MockNetwork, Said } from '../bot/mock-network.ts'
import type { Services } from '../core/services.ts'
import { members } from '../db/schema/network.ts'
import { printTranscript } from './print-transcript.ts'
import { summarize } from './summary.ts'

export interface DemoOptions {
  network: MockNetwork
  services: Services
  out: (line: string) => void
}

const STAFF_ROOM = '九龙坡区文明实践中心工作群'
/** The demo district's propagandist: the notice in the scenario is hers, and so is `npm start`'s console link. */
export const PROPAGANDIST = 'wxid_wangfang'

/** The residents' orders of the day; the last one nobody touches, so it climbs the tiers. */
const ORDERS = [
  {
    who: 'wxid_linxiuying',
    room: '科园社区第一网格1栋居民群',
    text: '点单 楼道灯坏了，晚上下楼看不见',
  },
  {
    who: 'wxid_gaojianguo',
    room: '科园社区第一网格2栋居民群',
    text: '求助 家里老人血压高，想请医生上门量血压',
  },
  {
    who: 'wxid_songyumei',
    room: '西郊路社区第一网格1栋居民群',
    text: '报修 小区健身器材生锈了，有安全隐患',
  },
] as const

/** Nobody acts on this resident's order, so the demo shows it climbing the tiers. */
const LEFT_ALONE_RESIDENT = '宋玉梅'

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A district's day on mock accounts: a notice goes down all five tiers with progress and a final
 * report; residents order, grid workers and volunteers accept and complete what the bot dispatches
 * to them, residents rate and points are posted; one order is left alone and escalates. Resolves
 * false (after saying why) if a step never got its answer.
 */
export async function runDemo({ network, services, out }: DemoOptions): Promise<boolean> {
  const stopPrinting = printTranscript(network, out)
  const stopWorkers = actAsWorkers(network, services, LEFT_ALONE_RESIDENT)
  // Answers can come before the demo starts listening for them: look back first, then wait.
  const botSays = (room: string, pattern: RegExp, timeoutMs = 60_000) => {
    const matches = (s: Said) => s.fromBot && s.topic === room && pattern.test(s.text)
    const seen = network.transcript.find(matches)
    return (seen ? Promise.resolve(seen) : network.waitFor(matches, timeoutMs)).then(
      (s) => s.text.match(pattern)!,
    )
  }
  try {
    out('\n—— 一、区宣传干部向全区发布通知 ——')
    const preview = botSays(STAFF_ROOM, /确认 (N\d+)/)
    network.say(
      PROPAGANDIST,
      STAFF_ROOM,
      '通知 九龙坡区 本周六上午9点，各社区新时代文明实践站开展「邻里守望」志愿服务，欢迎居民报名参加。',
    )
    const notice = (await preview)[1]!
    const finished = botSays(STAFF_ROOM, new RegExp(`通知 ${notice} 发布完毕`))
    network.say(PROPAGANDIST, STAFF_ROOM, `确认 ${notice}`)
    await finished

    out('\n—— 二、居民点单，网格员和志愿者接单、办结，居民评价 ——')
    const codes: string[] = []
    for (const order of ORDERS) {
      const placed = botSays(order.room, /点单 ([A-MP-Z]\d{4,6})/)
      network.say(order.who, order.room, order.text)
      const code = (await placed)[1]!
      codes.push(code)
    }
    for (const [i, order] of ORDERS.slice(0, -1).entries()) {
      const code = codes[i]!
      await botSays(order.room, new RegExp(`${code} 已由.*办结`))
      const progress = botSays(order.room, new RegExp(`${code} `))
      network.say(order.who, order.room, `进度 ${code}`)
      await progress
      const rated = botSays(order.room, new RegExp(`感谢您的评价！${code}`))
      network.say(order.who, order.room, `评价 ${code} 5 谢谢你们，办得又快又好`)
      await rated
    }

    out('\n—— 三、无人接的单逐级上报（四个必接） ——')
    const last = ORDERS.at(-1)!
    // It climbs station → institute → centre, and stops at the district's centre.
    await botSays(last.room, new RegExp(`${codes.at(-1)} 已转至九龙坡区文明实践中心`), 90_000)

    out('\n—— 四、回执与汇总 ——')
    const receipt = botSays(STAFF_ROOM, new RegExp(`通知 ${notice}（`))
    network.say(PROPAGANDIST, STAFF_ROOM, `回执 ${notice}`)
    await receipt
    await pause(200)
    for (const line of await summarize(services.db, codes)) out(line)
    return true
  } catch (error) {
    out(`演示未完成：${error instanceof Error ? error.message : String(error)}`)
    return false
  } finally {
    stopWorkers()
    stopPrinting()
  }
}

/**
 * The grid workers and volunteers of the simulated district: whoever the bot dispatches an order
 * to accepts it and, a moment later, reports it done — except the orders left alone on purpose.
 */
function actAsWorkers(network: MockNetwork, services: Services, leftAlone: string): () => void {
  return network.onSaid((said: Said) => {
    const match = said.fromBot ? /^【(?:派单|上报)】(\S+)[^\n]*@(\S+)/.exec(said.text) : null
    if (!match || said.text.includes(`居民：${leftAlone}（`)) return
    const [, code, name] = match
    void (async () => {
      const [worker] = await services.db
        .select({ wechatId: members.wechatId })
        .from(members)
        .where(eq(members.name, name!))
      if (!worker) return
      await pause(300)
      network.say(worker.wechatId, said.topic, `接单 ${code}`)
      await pause(600)
      network.say(worker.wechatId, said.topic, `完成 ${code} 已处理好，用时1小时`)
    })()
  })
}
