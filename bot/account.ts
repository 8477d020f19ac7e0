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
import { AccountLease } from '../queues/account-lease.ts'
import type { OutboundMessage } from '../queues/outbound-message.ts'
import type { PacingRules } from '../queues/pacing.ts'
import type { AroundSend } from '../queues/send-hooks.ts'
import type { Takeover } from '../queues/takeover.ts'
import { AccountSends } from './account-sends.ts'
import { INVITER_ROLES } from './authorize.ts'
import type { BotAccountRef, HandlerTable, Incoming } from './context.ts'
import { assertHandlersComplete, handleMessage, type Reaction } from './handle-message.ts'
import { HomeRooms } from './home-rooms.ts'
import {
  classifyPuppetError,
  gaveUpHint,
  lostConnection,
  type PuppetError,
} from './puppet-errors.ts'
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
  /** The first pause before a failed puppet start is tried again (PUPPET_RETRY_FIRST_MS). */
  retryFirstMs?: number
  /** How many times a puppet that never started is tried again (PUPPET_START_RETRIES). */
  startRetries?: number
  /** A start not finished by then failed (PUPPET_START_TIMEOUT_MS). */
  startTimeoutMs?: number
  /**
   * The account's lease (ACCOUNT_LEASE_MS): how soon another process takes over a dead one. Unset,
   * no lease is taken: the mock puppet's world lives in its process, so nothing is shared.
   */
  leaseMs?: number
  /**
   * Whether the provider answers at all, asked before each try (bot/puppet.ts endpointAnswers):
   * a try against a provider that is down costs seconds to fail, this a few milliseconds.
   */
  reachable?: () => Promise<boolean>
}

/**
 * A start that failed is tried again after 2 s, 4 s, 8 s … (PUPPET_START_RETRIES times); a lost
 * connection after 0.5 s, 1 s, then every 2 s for as long as it takes.
 */
const RETRY_FIRST_MS = 2_000
const START_RETRIES = 3
/**
 * A start that has not finished by then failed: an endpoint that accepts connections and never
 * answers would otherwise hold it for good.
 */
const START_TIMEOUT_MS = 10_000
/** A stop after a failed start waits no longer than this: a hung start can hold it ~20 s. */
const STOP_WAIT_MS = 3_000
const RECONNECT_FIRST_MS = 500
const RECONNECT_MAX_MS = 2_000
/** While the provider does not answer at all, it is asked this often (a TCP connect). */
const PROBE_EVERY_MS = 250
const RETRY_MAX_MS = 30_000

/** The account cannot start until someone changes a setting or the account itself. */
export class PuppetStartError extends Error {
  override name = 'PuppetStartError'
  constructor(
    readonly account: string,
    readonly why: PuppetError,
    /** Set when the start was tried this many more times before giving up. */
    retries?: number,
  ) {
    super(`${account}：${retries === undefined ? why.hint : gaveUpHint(why, retries)}`)
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
  /** The puppet runs in this process: only then does stop() stop it (and the provider's). */
  private started = false
  /** Set while a lost connection is being restored: the puppet's errors then are expected. */
  private reconnecting = false
  /**
   * Rooms are synced once per session: providers signal `ready` more than once. Cleared by a
   * logout or a lost connection (Wechaty's own `login` may come after `ready`, so not by that).
   */
  private synced = false
  private lease: AccountLease | undefined
  /** Who held the lease when we last said so, so standing by is one line, not one per try. */
  private holder: string | undefined
  private standBy: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined

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

  /**
   * Starts the account if this process can own it: with its lease taken, the send worker and the
   * puppet start; resolves once the puppet runs. Held by another process, it says so once, starts
   * neither, and takes over when that lease is released or expires. Throws PuppetStartError when
   * the puppet cannot start (a bad token at once; an endpoint that never answers after the retries).
   */
  async start(): Promise<void> {
    const { db } = this
    const row = await ensureBotAccount(db, this.name, this.opts.puppetName)
    this.ref = { id: row.id, name: this.name, names: [] }
    this.registry = new RoomRegistry(db, this.log, row.id)
    const { connection, queuePrefix } = this.services
    if (this.opts.leaseMs !== undefined) {
      this.lease = new AccountLease(connection, queuePrefix, this.name, this.opts.leaseMs)
    }
    this.attach(this.opts.wechaty)
    if (await this.takeLease()) await this.run()
    else this.waitForLease()
  }

  /** True when this process owns the account now; one line when another one does. */
  private async takeLease(): Promise<boolean> {
    if (!this.lease) return true
    const state = await this.lease.acquire()
    if (state.owned) return true
    if (state.holder !== this.holder) {
      this.holder = state.holder
      this.log.warn(
        { holder: state.holder },
        `${this.name}：已由另一进程（${state.holder}）运行，本进程不启动它、不发送；它停止或失联后接管`,
      )
    }
    return false
  }

  /** Asks for the lease again every third of its life, and runs the account once it has it. */
  private waitForLease(): void {
    this.standBy = setTimeout(() => {
      if (this.stopping) return
      this.takeLease()
        .then(async (owned) => {
          if (!owned) return this.waitForLease()
          this.log.info({ previous: this.holder }, 'account taken over')
          await this.run()
        })
        .catch((error: unknown) => {
          // A takeover that cannot start is one line (run said it); keep asking on a Redis error.
          if (error instanceof PuppetStartError) return
          this.log.warn({ err: error }, 'lease check failed')
          this.waitForLease()
        })
    }, this.lease!.everyMs)
  }

  /** With the lease held: renew it, start the send worker, then the puppet. */
  private async run(): Promise<void> {
    this.lease?.keep(() => this.leaseLost())
    this.sends = new AccountSends({
      name: this.name,
      accountId: this.accountId,
      wechaty: this.opts.wechaty,
      services: this.services,
      log: this.log,
      pacing: this.opts.pacing,
      aroundSend: this.opts.aroundSend,
      ...(this.opts.takeover ? { takeover: this.opts.takeover } : {}),
    })
    try {
      await this.startPuppet()
    } catch (error) {
      await this.sends.close()
      this.sends = undefined
      await this.lease?.release().catch(() => {})
      throw error
    }
  }

  /**
   * Another process took the lease (this one stalled past its expiry): stop sending at once, and
   * stand by like any process that does not own the account.
   */
  private leaseLost(): void {
    this.log.error(`${this.name}：租约被另一进程接管，本进程停止该账号`)
    const sends = this.sends
    this.sends = undefined
    const wasStarted = this.started
    this.started = false
    void (async () => {
      await sends?.close()
      if (wasStarted) await this.opts.wechaty.stop().catch(() => {})
      if (!this.stopping) this.waitForLease()
    })().catch((error: unknown) => this.log.error({ err: error }, 'could not stand down'))
  }

  /**
   * Starts the puppet. A failure is one line for the operator with what to do, and recorded for
   * `quanqun status`; what may pass (the network, a logout) is tried again with a growing pause
   * up to `startRetries` times; what cannot (a bad token, a banned account), or what still fails
   * after the retries, throws PuppetStartError.
   */
  private async startPuppet(): Promise<void> {
    const { wechaty } = this.opts
    const retries = this.opts.startRetries ?? START_RETRIES
    const first = this.opts.retryFirstMs ?? RETRY_FIRST_MS
    for (let attempt = 0; ; attempt++) {
      const failure = await this.attempt(() => wechaty.start())
      if (failure === undefined) {
        this.started = true
        if (attempt > 0) {
          await setBotAccountState(this.db, this.accountId, 'offline', { lastError: null })
        }
        return
      }
      if (this.stopping) return
      // Stopped, so that the next start() starts the puppet again instead of finding it "started".
      await settled(wechaty.stop(), STOP_WAIT_MS)
      const why = await this.puppetFailed(failure)
      if (why.fatal) throw new PuppetStartError(this.name, why)
      if (attempt >= retries) throw new PuppetStartError(this.name, why, retries)
      await this.pause(Math.min(first * 2 ** attempt, RETRY_MAX_MS))
      if (this.stopping) return
    }
  }

  /**
   * The running puppet lost its provider (a gRPC stream that ended, a provider restarted): its
   * puppet is restarted at once, then with a growing pause, for as long as it takes; messages
   * said meanwhile are the provider's to hand over once the stream is back.
   */
  private async reconnect(): Promise<void> {
    if (this.reconnecting || this.stopping || !this.started) return
    this.reconnecting = true
    const { puppet } = this.opts.wechaty
    const since = Date.now()
    // Rooms may have changed while the connection was down: the next `ready` syncs them.
    this.synced = false
    this.log.warn(`${this.name}：与 puppet 服务的连接断开，正在重连`)
    // Shown by `quanqun status` until the login that follows the reconnect clears it.
    await setBotAccountState(this.db, this.accountId, 'offline', { lastError: 'network' }).catch(
      (e: unknown) => this.log.debug({ err: e }, 'could not record the disconnect'),
    )
    // The client is torn down at once, while the provider is away: a stop sent to a provider that
    // is back would stop its puppet too (and a real account's session with it).
    await settled(puppet.stop(), STOP_WAIT_MS)
    try {
      for (let attempt = 0; !this.stopping && this.started; attempt++) {
        if (attempt > 0) {
          await this.pause(Math.min(RECONNECT_FIRST_MS * 2 ** (attempt - 1), RECONNECT_MAX_MS))
        }
        // Asking is cheap: the provider is tried within a moment of its coming back.
        while (this.opts.reachable && !this.stopping && !(await this.opts.reachable())) {
          await this.pause(PROBE_EVERY_MS)
        }
        if (this.stopping || !this.started) return
        const failure = await this.attempt(() => puppet.start())
        if (failure === undefined) {
          // The gap: what residents said in it reaches the bot only if the provider kept it.
          this.log.info({ attempt, offlineMs: Date.now() - since }, 'reconnected')
          return
        }
        await settled(puppet.stop(), STOP_WAIT_MS)
        const why = classifyPuppetError(failure)
        this.log.debug({ err: failure, attempt }, 'reconnect failed')
        if (why.fatal) {
          await this.puppetFailed(failure)
          return
        }
      }
    } finally {
      this.reconnecting = false
    }
  }

  /** One try at starting the puppet, after asking whether the provider answers at all. */
  private async attempt(start: () => Promise<void>): Promise<unknown> {
    const { reachable } = this.opts
    if (reachable && !(await reachable())) return new Error('14 UNAVAILABLE: 服务地址无应答')
    return attemptStart(this.opts.wechaty, start, this.opts.startTimeoutMs ?? START_TIMEOUT_MS)
  }

  /** Sleeps `ms`, or less when the account is stopped meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
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

  /**
   * Stops what this process runs of the account. A process standing by never started the puppet,
   * so it leaves the owner's puppet (and the provider's) alone.
   */
  async stop(): Promise<void> {
    this.stopping = true
    clearTimeout(this.standBy)
    this.wake?.()
    await this.sends?.close()
    if (this.started) {
      await this.opts.wechaty.stop()
      if (this.ref) await setBotAccountState(this.db, this.ref.id, 'offline')
    }
    // Unreleased (Redis away), the lease still expires by itself.
    await this.lease
      ?.release()
      .catch((error: unknown) => this.log.warn({ err: error }, 'lease not released'))
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
        this.synced = false
        await setBotAccountState(db, this.accountId, 'offline')
        // Logged out by our own shutdown or a reconnect is routine; any other needs a re-scan.
        if (this.stopping || this.reconnecting) this.log.info('logged out')
        else this.log.warn('logged out')
      }),
    )
    wechaty.on(
      'error',
      this.guard('error', async (error: unknown) => {
        // While starting, the failed start itself answers (startPuppet), once; while reconnecting,
        // the reconnect does. A running puppet's error is one line; a lost connection is restored
        // at once rather than at the puppet's watchdog a minute later.
        if (!this.started || this.reconnecting) return
        const why = classifyPuppetError(error)
        this.log.warn({ kind: why.kind }, `${this.name}：${why.hint}`)
        this.log.debug({ err: error }, 'puppet error')
        if (lostConnection(error)) await this.reconnect()
      }),
    )
    wechaty.on(
      'ready',
      this.guard('ready', async () => {
        if (this.synced) return
        this.synced = true
        try {
          const rooms = await wechaty.Room.findAll()
          const summary = await this.registry!.sync(
            await Promise.all(rooms.map(async (r) => ({ roomId: r.id, topic: await r.topic() }))),
          )
          this.log.info(summary, 'rooms synced')
        } catch (error) {
          // The next `ready` tries again.
          this.synced = false
          throw error
        }
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

/** Waits for `promise` to settle, or `ms`, whichever comes first; never throws. */
async function settled(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    promise.catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  clearTimeout(timer)
}

/**
 * Runs a start and returns why it failed, or undefined when the puppet runs. Wechaty reports a
 * puppet that fails to start as an 'error' event and resolves start() all the same, so both are
 * watched; a puppet left inactive is a failed start.
 */
async function attemptStart(
  wechaty: Wechaty,
  start: () => Promise<void>,
  timeoutMs: number,
): Promise<unknown> {
  let failure: unknown
  const onError = (error: unknown) => {
    failure ??= error
  }
  wechaty.on('error', onError)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`DEADLINE_EXCEEDED: 启动 ${timeoutMs} ms 无应答`)),
      timeoutMs,
    )
  })
  try {
    await Promise.race([start(), timeout])
  } catch (error) {
    failure ??= error
  } finally {
    clearTimeout(timer)
    wechaty.off('error', onError)
  }
  if (failure === undefined || puppetRunning(wechaty)) return undefined
  return failure
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
    ...(type === types.Message.Url
      ? { link: async () => (await message.toUrlLink()).payload }
      : ATTACHMENTS.has(type) && { file: () => message.toFileBox() }),
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
  // A shared article is offered where pictures are: a propagandist's 通知 may carry it.
  return ATTACHMENTS.has(type) || type === types.Message.Url ? 'attachment' : 'other'
}
