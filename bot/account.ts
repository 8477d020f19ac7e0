import QRCode from 'qrcode'
import type { Contact, Message, Room, RoomInvitation, Wechaty } from 'wechaty'
import { types } from 'wechaty'
import { recordAudit } from '../audit/record-audit.ts'
import type { Logger } from '../core/logger.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { ensureBotAccount, setBotAccountState } from '../network/bot-accounts.ts'
import { findCoveringGrant } from '../network/permissions.ts'
import { findMemberByWechatId } from '../network/roles.ts'
import type { OutboundMessage } from '../queues/outbound-message.ts'
import type { PacingRules } from '../queues/pacing.ts'
import type { AroundSend } from '../queues/send-hooks.ts'
import type { Takeover } from '../queues/takeover.ts'
import { AccountSends } from './account-sends.ts'
import { INVITER_ROLES } from './authorize.ts'
import type { BotAccountRef, HandlerTable, Incoming } from './context.ts'
import { assertHandlersComplete, handleMessage, type Reaction } from './handle-message.ts'
import { HomeRooms } from './home-rooms.ts'
import { classifyPuppetError, type PuppetError } from './puppet-errors.ts'
import { RoomRegistry } from './room-registry.ts'
import { CooldownGate } from './system-notice.ts'
import { TalkerLimit } from './talker-limit.ts'

export interface BotAccountOptions {
  /** The account's name in `bot_accounts` (and in the network CSV). */
  name: string
  puppetName: string
  wechaty: Wechaty
  services: Services
  pacing: PacingRules & { cooldownMs: number }
  /** Every intent's handler (the top floor's table, checked complete). */
  handlers: HandlerTable
  /** The domains' bookkeeping around each send, shared by the process's accounts. */
  aroundSend: AroundSend
  /** Printed login QR codes go here (the terminal by default). */
  printQr?: (text: string) => void
  /** How soon the send job in hand of a killed process is taken over (tests shorten it). */
  takeover?: Takeover
  /** The first pause before a failed puppet start is tried again (tests shorten it). */
  retryFirstMs?: number
}

/** A puppet that failed to start is tried again after 5 s, 10 s, 20 s … up to 5 minutes. */
const RETRY_FIRST_MS = 5_000
const RETRY_MAX_MS = 5 * 60_000

/** The account cannot start until someone changes a setting or the account itself. */
export class PuppetStartError extends Error {
  override name = 'PuppetStartError'
  constructor(
    readonly account: string,
    readonly why: PuppetError,
  ) {
    super(`${account}：${why.hint}`)
  }
}

/** Talker names are chosen by strangers: keep what we echo back short. */
const MAX_NAME = 20

/**
 * One WeChat account, its receive side: the Wechaty instance's events, its rooms, and each
 * message through the pipeline to a reply. The send side is AccountSends.
 */
export class BotAccount {
  readonly name: string
  private sends: AccountSends | undefined
  private ref: BotAccountRef | undefined
  private readonly log: Logger
  private readonly limit = new TalkerLimit()
  private readonly homeRooms: HomeRooms
  private readonly cooldowns: CooldownGate
  private registry: RoomRegistry | undefined
  private stopping = false
  private retry: NodeJS.Timeout | undefined
  private started = false

  private readonly db: Db
  /** The process's services with this account's logger, so every log names the account. */
  private readonly services: Services

  constructor(private readonly opts: BotAccountOptions) {
    assertHandlersComplete(opts.handlers)
    this.cooldowns = new CooldownGate(opts.pacing.cooldownMs)
    this.homeRooms = new HomeRooms(opts.wechaty)
    this.name = opts.name
    this.db = opts.services.db
    this.log = opts.services.log.child({ account: opts.name })
    this.services = { ...opts.services, log: this.log }
  }

  get wechaty(): Wechaty {
    return this.opts.wechaty
  }

  get accountId(): number {
    if (!this.ref) throw new Error(`bot account ${this.name} is not started`)
    return this.ref.id
  }

  async start(): Promise<void> {
    const { db } = this
    const { wechaty } = this.opts
    const row = await ensureBotAccount(db, this.name, this.opts.puppetName)
    this.ref = { id: row.id, name: this.name, names: [] }
    this.registry = new RoomRegistry(db, this.log, row.id)
    this.sends = new AccountSends({
      name: this.name,
      accountId: row.id,
      wechaty,
      services: this.services,
      log: this.log,
      pacing: this.opts.pacing,
      aroundSend: this.opts.aroundSend,
      ...(this.opts.takeover ? { takeover: this.opts.takeover } : {}),
    })
    this.attach(wechaty)
    await this.startPuppet(0)
  }

  /**
   * Starts the puppet. A failure is one line for the operator with what to do, and recorded for
   * `quanqun status`; what may pass (the network, a logout) is tried again with a growing pause,
   * what cannot (a bad token, a banned account) throws PuppetStartError.
   */
  private async startPuppet(attempt: number): Promise<void> {
    const { wechaty } = this.opts
    // Wechaty reports a puppet that fails to start as an 'error' event and resolves start()
    // all the same, so both are watched; a puppet left inactive is a failed start.
    let failure: unknown
    const onError = (error: unknown) => {
      failure ??= error
    }
    wechaty.on('error', onError)
    try {
      await wechaty.start()
    } catch (error) {
      failure ??= error
    } finally {
      wechaty.off('error', onError)
    }
    if (failure === undefined || puppetRunning(wechaty)) {
      this.started = true
      if (attempt > 0) {
        await setBotAccountState(this.db, this.accountId, 'offline', { lastError: null })
      }
      return
    }
    if (this.stopping) return
    // Stopped, so that the next start() starts the puppet again instead of finding it "started".
    await wechaty.stop().catch(() => {})
    const why = await this.puppetFailed(failure)
    if (why.fatal) throw new PuppetStartError(this.name, why)
    const first = this.opts.retryFirstMs ?? RETRY_FIRST_MS
    const pause = Math.min(first * 2 ** attempt, RETRY_MAX_MS)
    this.retry = setTimeout(() => {
      this.startPuppet(attempt + 1).catch(() => {})
    }, pause)
  }

  /** One human line, the category in the row; the stack only at debug level. */
  private async puppetFailed(error: unknown): Promise<PuppetError> {
    const why = classifyPuppetError(error)
    this.log.error({ kind: why.kind }, `${this.name}：${why.hint}`)
    this.log.debug({ err: error }, 'puppet error')
    const state = why.kind === 'banned' ? 'banned' : 'offline'
    await setBotAccountState(this.db, this.accountId, state, { lastError: why.kind }).catch(
      (e: unknown) => this.log.debug({ err: e }, 'could not record the puppet error'),
    )
    return why
  }

  /** Queues a message on this account's paced send queue. */
  async say(msg: OutboundMessage, jobId?: string): Promise<void> {
    await this.services.messenger.queues.say(this.name, msg, jobId)
  }

  async stop(): Promise<void> {
    this.stopping = true
    clearTimeout(this.retry)
    await this.sends?.close()
    if (!this.started) return
    await this.opts.wechaty.stop()
    if (this.ref) await setBotAccountState(this.db, this.ref.id, 'offline')
  }

  /** Every event handler runs inside `guard`: one failing message never stops the bot. */
  private guard<A extends unknown[]>(event: string, fn: (...args: A) => Promise<void>) {
    return (...args: A) => {
      fn(...args).catch((error: unknown) => this.log.error({ err: error, event }, 'event failed'))
    }
  }

  private attach(wechaty: Wechaty): void {
    const { db } = this
    wechaty.on(
      'scan',
      this.guard('scan', async (qrcode: string, status: types.ScanStatus) => {
        if (status !== types.ScanStatus.Waiting && status !== types.ScanStatus.Timeout) return
        const art = await QRCode.toString(qrcode, { type: 'terminal', small: true })
        const print = this.opts.printQr ?? ((text: string) => process.stderr.write(text))
        print(`[${this.name}] 请用微信扫码登录:\n${art}\n`)
      }),
    )
    wechaty.on(
      'login',
      this.guard('login', async (user: Contact) => {
        this.ref = { ...this.ref!, names: [user.name()].filter(Boolean) }
        await setBotAccountState(db, this.accountId, 'online', { selfId: user.id, lastError: null })
        this.log.info({ self: user.id }, 'logged in')
      }),
    )
    wechaty.on(
      'logout',
      this.guard('logout', async () => {
        await setBotAccountState(db, this.accountId, 'offline')
        // Logged out by our own shutdown is routine; any other logout needs a re-scan.
        if (this.stopping) this.log.info('logged out')
        else this.log.warn('logged out')
      }),
    )
    wechaty.on(
      'error',
      this.guard('error', async (error: unknown) => {
        // While starting, the failed start itself answers (startPuppet), once. Later, a running
        // puppet's error is one line; the account's state follows its logout or login events.
        if (!this.started) return
        const why = classifyPuppetError(error)
        this.log.warn({ kind: why.kind }, `${this.name}：${why.hint}`)
        this.log.debug({ err: error }, 'puppet error')
      }),
    )
    wechaty.on(
      'ready',
      this.guard('ready', async () => {
        const rooms = await wechaty.Room.findAll()
        const summary = await this.registry!.sync(
          await Promise.all(rooms.map(async (r) => ({ roomId: r.id, topic: await r.topic() }))),
        )
        this.log.info(summary, 'rooms synced')
      }),
    )
    wechaty.on(
      'room-join',
      this.guard('room-join', async (room: Room, invitees: Contact[], inviter: Contact) => {
        if (invitees.some((c) => c.self())) await this.onJoined(room, inviter)
      }),
    )
    wechaty.on(
      'room-topic',
      this.guard('room-topic', async (room: Room, topic: string) => {
        await this.registry!.renamed(room.id, topic)
      }),
    )
    wechaty.on(
      'room-leave',
      this.guard('room-leave', async (room: Room, leavers: Contact[]) => {
        if (leavers.some((c) => c.self())) await this.registry!.left(room.id)
      }),
    )
    wechaty.on(
      'room-invite',
      this.guard('room-invite', (inv) => this.onInvite(inv)),
    )
    wechaty.on(
      'message',
      this.guard('message', (message) => this.onMessage(message)),
    )
  }

  /**
   * The bot was added to a room: it may claim an imported group by topic only when the person who
   * added it holds a role over that group's unit. Both outcomes are audited.
   */
  private async onJoined(room: Room, inviter: Contact | undefined): Promise<void> {
    const topic = await room.topic()
    const member = inviter ? await findMemberByWechatId(this.db, inviter.id) : undefined
    const audit = { memberId: member?.id ?? null, actorRef: inviter?.id ?? 'unknown' }
    const group = await this.registry!.joined(room.id, topic, async (candidate) => {
      const allowed =
        findCoveringGrant(member?.grants ?? [], INVITER_ROLES, candidate.unitPath) !== undefined
      await recordAudit(this.db, {
        ...audit,
        action: 'group.bind',
        unitId: candidate.unitId,
        groupId: candidate.id,
        allowed,
        detail: { roomId: room.id, topic, by: 'join' },
      })
      return allowed
    })
    if (group) this.log.info({ roomId: room.id, group: group.id }, 'room bound on joining')
  }

  /** Invitations are accepted only from known staff, so strangers cannot pull the bot into rooms. */
  private async onInvite(invitation: RoomInvitation): Promise<void> {
    const inviter = await invitation.inviter()
    const member = await findMemberByWechatId(this.db, inviter.id)
    const staff = member?.grants.find((g) => INVITER_ROLES.includes(g.role))
    await recordAudit(this.db, {
      memberId: member?.id ?? null,
      actorRef: inviter.id,
      action: 'room.invite',
      allowed: staff !== undefined,
      detail: { topic: await invitation.topic().catch(() => '') },
    })
    if (staff) await invitation.accept()
  }

  private async onMessage(message: Message): Promise<void> {
    // Some puppets deliver WeChat's system notices as the bot's own messages: keep those. Checked
    // before anything is looked up, since every message the bot says comes back here too.
    if (message.self() && message.type() !== types.Message.Unknown) return
    const incoming = await toIncoming(message)
    const reaction = await handleMessage(
      {
        services: this.services,
        account: this.ref!,
        handlers: this.opts.handlers,
        limit: this.limit,
        homeRooms: (talkerId) => this.homeRooms.of(talkerId),
      },
      incoming,
    )
    await this.act(incoming, reaction)
  }

  private async act(incoming: Incoming, reaction: Reaction): Promise<void> {
    switch (reaction.kind) {
      case 'silent':
        return
      case 'coolDown': {
        const allowed = this.cooldowns.allow()
        await recordAudit(this.db, {
          actorRef: incoming.talkerId,
          action: 'account.cooldown',
          allowed,
          detail: {
            account: this.name,
            roomId: incoming.roomId,
            text: reaction.reason.slice(0, 120),
          },
        })
        if (allowed) await this.sends?.coolDown(this.opts.pacing.cooldownMs, reaction.reason)
        else this.log.warn({ roomId: incoming.roomId }, 'throttle notice ignored: too many')
        return
      }
      case 'reply':
        await this.say({
          roomId: incoming.roomId ?? incoming.talkerId,
          text: reaction.text,
          kind: 'reply',
          ...(incoming.roomId === undefined && { privately: true }),
        })
    }
  }
}

/** Whether the account's puppet runs; false too when Wechaty never got one (it failed to load). */
function puppetRunning(wechaty: Wechaty): boolean {
  try {
    return wechaty.puppet.state.active() === true
  } catch {
    return false
  }
}

/** The Wechaty edge: a message becomes plain data, with the talker's name trimmed. */
async function toIncoming(message: Message): Promise<Incoming> {
  const room = message.room()
  const talker = message.talker()
  const type = message.type()
  // Puppets deliver WeChat's own notices as the account's messages: anyone else's message,
  // whatever its type, is a person speaking.
  const fromPlatform = type === types.Message.Unknown && message.self()
  return {
    fromPlatform,
    ...(room ? { roomId: room.id, topic: await room.topic() } : {}),
    talkerId: talker.id,
    talkerName: (talker.name() || '居民').slice(0, MAX_NAME),
    text: message.text(),
    type: kindOf(type),
    ...(ATTACHMENTS.has(type) && { file: () => message.toFileBox() }),
  }
}

/** Pictures, videos and files: what a resident may send to show the problem. */
const ATTACHMENTS: ReadonlySet<types.Message> = new Set([
  types.Message.Image,
  types.Message.Video,
  types.Message.Attachment,
])

function kindOf(type: types.Message): Incoming['type'] {
  if (type === types.Message.Text) return 'text'
  if (type === types.Message.Unknown) return 'system'
  if (type === types.Message.Audio) return 'voice'
  return ATTACHMENTS.has(type) ? 'attachment' : 'other'
}
