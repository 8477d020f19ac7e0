import { randomUUID } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import { eq, isNotNull } from 'drizzle-orm'
import type { FileBoxInterface } from 'file-box'
import { types, type Wechaty } from 'wechaty'
import { type mock, mock as mocks, PuppetMock } from 'wechaty-puppet-mock'
import type { Db } from '../db/client.ts'
import { botAccounts, groups, members } from '../db/schema/network.ts'
import { buildWechaty, MOCK_PUPPET, type MockPuppetFactory } from './puppet.ts'

export interface MockPerson {
  wechatId: string
  name: string
}

/** One line said in a simulated room. */
export interface Said {
  account: string
  roomId: string
  topic: string
  talkerId: string
  talkerName: string
  text: string
  /** The file's name when a picture or file was sent rather than text. */
  file?: string
  fromBot: boolean
  at: number
}

export interface MockAccount {
  name: string
  mocker: mock.Mocker
  wechaty: Wechaty
  self: mock.ContactMock
}

interface MockRoomRef {
  account: MockAccount
  room: mock.RoomMock
}

export const MOCK_BOT_NAME = '圈群助手'

/** The transcript's topic of a private chat between a person and the bot. */
export const privateTopic = (wechatId: string) => `私聊:${wechatId}`

/**
 * A simulated district on wechaty-puppet-mock, built from the database: one mocker and Wechaty per
 * bot account, a mock room for every imported group (holding the bot and the unit's staff), and a
 * contact for every member and resident. The demo plays in it and the tests drive it.
 */
export class MockNetwork {
  readonly transcript: Said[] = []
  private readonly rooms = new Map<string, MockRoomRef>()
  private readonly listeners = new Set<(said: Said) => void>()
  private readonly privateChats = new Set<string>()

  private constructor(
    readonly accounts: MockAccount[],
    private readonly people: ReadonlyMap<string, string>,
  ) {}

  /**
   * `only` keeps the accounts whose name it accepts (and their rooms): one bot process of several,
   * each holding its share of the accounts.
   */
  static async build(
    db: Db,
    residents: readonly MockPerson[] = [],
    mockPuppet?: MockPuppetFactory,
    only: (account: string) => boolean = () => true,
  ): Promise<MockNetwork> {
    const people: MockPerson[] = [
      ...(await db.select({ wechatId: members.wechatId, name: members.name }).from(members)),
      ...residents,
    ]
    const accountRows = (await db.select().from(botAccounts).orderBy(botAccounts.name)).filter(
      (row) => only(row.name),
    )
    const network = new MockNetwork(
      accountRows.map((row) => {
        const mocker = new mocks.Mocker()
        const self = mocker.createContact({ id: `bot-${row.id}`, name: MOCK_BOT_NAME })
        const wechaty = buildWechaty({
          account: row.name,
          puppet: MOCK_PUPPET,
          mocker,
          dataDir: '',
          mockPuppet,
        })
        return { name: row.name, mocker, wechaty, self }
      }),
      new Map(people.map((p) => [p.wechatId, p.name])),
    )
    const rows = await db
      .select({ topic: groups.topic, account: botAccounts.name, roomId: groups.roomId })
      .from(groups)
      .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
      .where(isNotNull(groups.botAccountId))
      .orderBy(groups.id)
    for (const row of rows) {
      const account = network.accounts.find((a) => a.name === row.account)
      // A room bound before keeps its id, as a bot restarted on a real puppet finds its rooms.
      if (account) network.createRoom(account, row.topic, row.roomId ?? undefined)
    }
    return network
  }

  account(name: string): MockAccount {
    const found = this.accounts.find((a) => a.name === name)
    if (!found) throw new Error(`no mock account ${name}`)
    return found
  }

  /** A room the bot sits in; tests also use it for rooms the import does not know. */
  createRoom(account: MockAccount, topic: string, id?: string): mock.RoomMock {
    const room = account.mocker.createRoom({
      topic,
      memberIdList: [account.self.id],
      ...(id === undefined ? {} : { id }),
    })
    this.rooms.set(room.id, { account, room })
    // The mock's typed emitter loses its types in the published build; the event is real.
    ;(room as unknown as EventEmitter).on('message', (message: mock.MessageMock) => {
      this.record(account, room.id, room.payload.topic, message)
    })
    return room
  }

  private record(account: MockAccount, roomId: string, topic: string, message: mock.MessageMock) {
    const talker = message.talker()
    const file = account.mocker.cacheFileBoxPayload.get(message.id)?.name
    const said: Said = {
      account: account.name,
      roomId,
      topic,
      talkerId: talker.id,
      talkerName: talker.payload.name,
      text: String(message.payload.text ?? ''),
      ...(file !== undefined && { file }),
      fromBot: talker.id === account.self.id,
      at: Date.now(),
    }
    this.transcript.push(said)
    for (const listener of this.listeners) listener(said)
  }

  /** Logs every account in and signals ready, as a real puppet does after a scan. */
  login(): void {
    for (const account of this.accounts) {
      account.mocker.login(account.self)
      const puppet = account.mocker.puppet
      if (puppet instanceof PuppetMock) puppet.emit('ready', { data: 'mock network ready' })
    }
  }

  room(topic: string): MockRoomRef {
    for (const ref of this.rooms.values()) if (ref.room.payload.topic === topic) return ref
    throw new Error(`no mock room with topic ${topic}`)
  }

  /** The mock rooms one account sits in. */
  roomsOf(account: string): mock.RoomMock[] {
    return [...this.rooms.values()].filter((r) => r.account.name === account).map((r) => r.room)
  }

  roomById(roomId: string): MockRoomRef | undefined {
    return this.rooms.get(roomId)
  }

  /**
   * The mock contact of a known person on one account, created on first use: a district has
   * thousands of members and 22 accounts, and each account only ever meets a few of them.
   */
  contact(account: MockAccount, wechatId: string): mock.ContactMock {
    const name = this.people.get(wechatId)
    if (name === undefined) throw new Error(`no person ${wechatId} in the mock network`)
    try {
      return account.mocker.ContactMock.load(wechatId)
    } catch {
      return account.mocker.createContact({ id: wechatId, name })
    }
  }

  /**
   * `wechatId` says `text` in the room with `topic` (the person must exist in the network); a
   * FileBox sends a picture, a voice message (.silk) or a file, as the mock types them by name.
   */
  say(wechatId: string, topic: string, text: string | FileBoxInterface): void {
    const { account, room } = this.room(topic)
    this.contact(account, wechatId).say(text).to(room)
  }

  /**
   * `wechatId` writes to the account's bot privately. Both sides of the private chat are in the
   * transcript under the topic `privateTopic(wechatId)`.
   */
  sayPrivately(accountName: string, wechatId: string, text: string | FileBoxInterface): void {
    const account = this.account(accountName)
    const contact = this.contact(account, wechatId)
    if (!this.privateChats.has(`${accountName}/${wechatId}`)) {
      this.privateChats.add(`${accountName}/${wechatId}`)
      // The mock tells a contact of every message it says or is said to.
      ;(contact as unknown as EventEmitter).on('message', (message: mock.MessageMock) => {
        // The contact hears of what it says in rooms too; those are the room's.
        if ('roomId' in message.payload && message.payload.roomId) return
        this.record(account, contact.id, privateTopic(wechatId), message)
      })
    }
    contact.say(text).to(account.self)
  }

  /** Makes `wechatId` a member of the room with `topic`, as WeChat lists it to the bot. */
  addMember(topic: string, wechatId: string): void {
    const { account, room } = this.room(topic)
    const contact = this.contact(account, wechatId)
    if (!room.payload.memberIdList.includes(contact.id)) room.payload.memberIdList.push(contact.id)
  }

  /**
   * WeChat's own notice in a room (e.g. 操作过于频繁), which no person can type: a message of
   * unknown type, as puppets deliver system messages.
   */
  systemMessage(topic: string, text: string): void {
    const { account, room } = this.room(topic)
    const id = `sys-${randomUUID()}`
    account.mocker.MessageMock.create({
      id,
      type: types.Message.Unknown,
      text,
      roomId: room.id,
      talkerId: account.self.id,
      timestamp: Date.now(),
    })
    account.mocker.puppet.emit('message', { messageId: id })
  }

  /** Everything the bot said into the room with `topic`, oldest first. */
  botLines(topic: string): string[] {
    return this.transcript.filter((s) => s.fromBot && s.topic === topic).map((s) => s.text)
  }

  /** Calls `listener` for every line said from now on; returns the unsubscribe function. */
  onSaid(listener: (said: Said) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Resolves with the first line matching `predicate`, said from now on, or rejects on timeout. */
  waitFor(predicate: (said: Said) => boolean, timeoutMs = 10_000): Promise<Said> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener)
        reject(new Error(`no matching message within ${timeoutMs} ms`))
      }, timeoutMs)
      const listener = (said: Said) => {
        if (!predicate(said)) return
        clearTimeout(timer)
        this.listeners.delete(listener)
        resolve(said)
      }
      this.listeners.add(listener)
    })
  }
}
