import { readFile } from 'node:fs/promises'
import { UnrecoverableError } from 'bullmq'
import { FileBox } from 'file-box'
import type { Wechaty } from 'wechaty'
import type { Logger } from '../core/logger.ts'
import type { Services } from '../core/services.ts'
import { setBotAccountState } from '../network/bot-accounts.ts'
import type { OutboundMessage } from '../queues/outbound-message.ts'
import type { PacingRules } from '../queues/pacing.ts'
import type { AroundSend } from '../queues/send-hooks.ts'
import { unsaidOf } from '../queues/send-queue.ts'
import { createSendWorker, type SendWorker } from '../queues/send-worker.ts'
import type { Takeover } from '../queues/takeover.ts'

export interface AccountSendsOptions {
  name: string
  accountId: number
  wechaty: Wechaty
  services: Services
  log: Logger
  pacing: PacingRules & { cooldownMs: number }
  aroundSend: AroundSend
  takeover?: Takeover
}

/**
 * The platform would not take a message back: retrying cannot change that (the window only
 * closes), so the take-back fails at once and its hook records it.
 */
class RecallRefused extends UnrecoverableError {
  constructor() {
    super('recall refused by the platform')
  }
}

/**
 * The send side of one account: its paced send worker, the domains' hooks around each say, and
 * the account's recorded state while WeChat makes it cool down. Only the process holding the
 * live puppet runs it, since only that process can say anything.
 */
export class AccountSends {
  private readonly worker: SendWorker
  private coolingTimer: NodeJS.Timeout | undefined
  private stopping = false

  constructor(private readonly opts: AccountSendsOptions) {
    const { services, name, aroundSend } = opts
    this.worker = createSendWorker({
      connection: services.connection,
      prefix: services.queuePrefix,
      account: name,
      pacing: opts.pacing,
      log: opts.log,
      say: (msg, next) => aroundSend.say(msg, name, next, () => this.sayNow(msg)),
      onCooldown: (until, reason) => this.markCooling(until, reason),
      ...opts.takeover,
    })
    this.worker.worker.on('failed', (job, error) => {
      if (!job) return
      const final =
        error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
      // A page gives up the rooms it had not done; the others are said or have jobs of their own.
      if (final) for (const msg of unsaidOf(job)) void aroundSend.gaveUp(msg, name, error)
    })
  }

  /** Pauses every send of the account for `ms` (WeChat asked it to slow down). */
  coolDown(ms: number, reason: string): Promise<number> {
    return this.worker.coolDown(ms, reason)
  }

  async close(): Promise<void> {
    this.stopping = true
    clearTimeout(this.coolingTimer)
    await this.worker.close()
  }

  /** Says (or takes back) one message; the platform's id of what was said, when it gives one. */
  private async sayNow(msg: OutboundMessage): Promise<string | undefined> {
    const { wechaty } = this.opts
    if (msg.recall !== undefined) {
      // The puppet answers false when the platform refuses (past its window, already gone).
      if (!(await wechaty.puppet.messageRecall(msg.recall))) throw new RecallRefused()
      return undefined
    }
    const { Room, Contact } = wechaty
    // A private message is addressed to the contact id; everything else to a room (a message
    // queued before `privately` existed may still be either).
    const target = msg.privately
      ? await Contact.find({ id: msg.roomId })
      : ((await Room.find({ id: msg.roomId })) ?? (await Contact.find({ id: msg.roomId })))
    if (!target) throw new Error(`room ${msg.roomId} not found on account ${this.opts.name}`)
    return (await target.say(await this.sayable(msg)))?.id
  }

  private async sayable(msg: OutboundMessage) {
    if (msg.link) {
      const { url, title, description } = msg.link
      return new this.opts.wechaty.UrlLink({ url, title, ...(description && { description }) })
    }
    if (!msg.file) return msg.text
    // As base64: the one FileBox form every puppet can carry across a process (puppet-service,
    // the mock); the files are small, bounded at storage (core/content-store.ts callers).
    const data = await readFile(msg.file.path)
    return FileBox.fromBase64(data.toString('base64'), msg.file.name)
  }

  private async markCooling(until: number, reason: string): Promise<void> {
    const { services, accountId, log } = this.opts
    log.warn({ until: new Date(until).toISOString(), reason }, 'account cooling down')
    await setBotAccountState(services.db, accountId, 'cooling', { coolingUntil: new Date(until) })
    // The send worker resumes by itself; the recorded state follows it back to online.
    clearTimeout(this.coolingTimer)
    this.coolingTimer = setTimeout(
      () => {
        if (this.stopping) return
        setBotAccountState(services.db, accountId, 'online', { coolingUntil: null }).catch(
          (error: unknown) => log.error({ err: error }, 'could not mark account online'),
        )
      },
      Math.max(0, until - Date.now()),
    )
    this.coolingTimer.unref()
  }
}
