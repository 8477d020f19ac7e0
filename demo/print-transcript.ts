import type { MockNetwork } from '../bot/mock-network.ts'

/** Prints every chat line as `[群名] 发言人: 内容`; returns a function that stops printing. */
export function printTranscript(network: MockNetwork, out: (line: string) => void): () => void {
  return network.onSaid((said) => {
    const text = said.text.replace(/\n/g, '\n    ')
    out(`[${said.topic}] ${said.talkerName}: ${text}`)
  })
}
