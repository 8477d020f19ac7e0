import type { MockNetwork } from '../../bot/mock-network.ts'

/**
 * Wraps what the account's mock puppet does when the bot says something: `around` gets the room,
 * the text and the real say, and decides. Returns the undo. Free of vitest, so a test's child
 * process can use it too.
 */
export function aroundPuppetSends(
  network: MockNetwork,
  account: string,
  around: (roomId: string, text: string, say: () => Promise<unknown>) => Promise<unknown>,
): () => void {
  const puppet = network.account(account).mocker.puppet as unknown as {
    messageSendText(roomId: string, text: string): Promise<unknown>
  }
  const original = puppet.messageSendText.bind(puppet)
  puppet.messageSendText = (roomId: string, text: string) =>
    around(roomId, text, () => original(roomId, text))
  return () => {
    puppet.messageSendText = original
  }
}
