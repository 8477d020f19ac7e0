import type { FileBoxInterface } from 'file-box'
import type * as PUPPET from 'wechaty-puppet'
import { type mock, PuppetMock } from 'wechaty-puppet-mock'

/**
 * The mock puppet as a real one behaves where it matters to 撤回: every send returns the id of the
 * message it created (the mock's returns nothing), an article card becomes a message too (the
 * mock's drops it), and messageRecall takes a message back (the mock's always refuses). Tests pick
 * sends to refuse (`refuse`) and recalls the platform refuses (`refuseRecall`).
 */
export class RecallingPuppet extends PuppetMock {
  /** Ids taken back, in order. */
  readonly recalled: string[] = []
  /** What each id said: the text, a file's name, or a card's title. */
  readonly said = new Map<string, string>()
  /** Throws before anything is said for the sends it picks (a refused send). */
  refuse: (conversationId: string, what: string) => boolean = () => false
  refuseRecall: (messageId: string) => boolean = () => false

  constructor(mocker: mock.Mocker) {
    super({ mocker })
    const text = this.messageSendText.bind(this)
    const file = this.messageSendFile.bind(this)
    // Assigned, not overridden: PuppetMock types these as returning void, where Wechaty's puppet
    // interface (and every real puppet) returns the new message's id.
    Object.assign(this, {
      messageSendText: (to: string, said: string) => this.withId(to, said, () => text(to, said)),
      messageSendFile: (to: string, box: FileBoxInterface) =>
        this.withId(to, box.name, () => file(to, box)),
      // Said as a text naming the card, so the room's transcript shows it where it came.
      messageSendUrl: (to: string, card: PUPPET.payloads.UrlLink) =>
        this.withId(to, card.title, () => text(to, `[卡片] ${card.title} ${card.url}`)),
    })
  }

  /** Runs one mock send and returns the id of the message it created (emitted synchronously). */
  private async withId(conversationId: string, what: string, send: () => Promise<void>) {
    if (this.refuse(conversationId, what))
      throw new Error(`mock: send to ${conversationId} refused`)
    let id: string | undefined
    const grab = (e: { messageId: string }) => {
      id ??= e.messageId
    }
    this.on('message', grab)
    try {
      await send()
    } finally {
      this.off('message', grab)
    }
    if (id === undefined) throw new Error('mock: the send created no message')
    this.said.set(id, what)
    return id
  }

  override async messageRecall(messageId: string): Promise<boolean> {
    if (this.refuseRecall(messageId)) return false
    this.recalled.push(messageId)
    return true
  }
}
