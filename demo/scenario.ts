import type { MockNetwork } from '../bot/mock-network.ts'
import type { Services } from '../runtime/services.ts'
import { printTranscript } from './print-transcript.ts'

export interface DemoOptions {
  network: MockNetwork
  services: Services
  out: (line: string) => void
}

/** A district's day, played on mock accounts; resolves false if a step never got its answer. */
export async function runDemo({ network, out }: DemoOptions): Promise<boolean> {
  const stopPrinting = printTranscript(network, out)
  try {
    out('—— 演示：居民求助 ——')
    const topic = '科园社区第一网格1栋居民群'
    const answered = network.waitFor((s) => s.fromBot && s.topic === topic, 15_000)
    network.say('wxid_linxiuying', topic, '帮助')
    await answered
    return true
  } catch (error) {
    out(`演示未完成：${error instanceof Error ? error.message : String(error)}`)
    return false
  } finally {
    stopPrinting()
  }
}
