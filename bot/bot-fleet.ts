import type { Wechaty } from 'wechaty'
import type { Services } from '../core/services.ts'
import { openPool } from '../db/pool.ts'
import { warmIntake } from '../orders/intake.ts'
import type { PacingRules } from '../queues/pacing.ts'
import type { AroundSend } from '../queues/send-hooks.ts'
import type { Takeover } from '../queues/takeover.ts'
import { BotAccount, PuppetStartError } from './account.ts'
import type { HandlerTable } from './context.ts'

export interface BotFleetOptions {
  services: Services
  puppetName: string
  pacing: PacingRules & { cooldownMs: number }
  accounts: readonly { name: string; wechaty: Wechaty }[]
  handlers: HandlerTable
  aroundSend: AroundSend
  /** See BotAccountOptions. */
  takeover?: Takeover
  /** See BotAccountOptions. */
  retryFirstMs?: number
  /** See BotAccountOptions. */
  startRetries?: number
  /** See BotAccountOptions. */
  startTimeoutMs?: number
  /** See BotAccountOptions. */
  leaseMs?: number
  /** See BotAccountOptions. */
  reachable?: () => Promise<boolean>
}

export interface BotFleet {
  accounts: BotAccount[]
  account(name: string): BotAccount
  stop(): Promise<void>
}

/** Starts every account this process owns; `quanqun bot` and `quanqun start` run this. */
export async function startBots(opts: BotFleetOptions): Promise<BotFleet> {
  const accounts = opts.accounts.map(
    ({ name, wechaty }) =>
      new BotAccount({
        name,
        wechaty,
        services: opts.services,
        puppetName: opts.puppetName,
        pacing: opts.pacing,
        handlers: opts.handlers,
        aroundSend: opts.aroundSend,
        ...(opts.takeover ? { takeover: opts.takeover } : {}),
        ...(opts.retryFirstMs === undefined ? {} : { retryFirstMs: opts.retryFirstMs }),
        ...(opts.startRetries === undefined ? {} : { startRetries: opts.startRetries }),
        ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
        ...(opts.leaseMs === undefined ? {} : { leaseMs: opts.leaseMs }),
        ...(opts.reachable ? { reachable: opts.reachable } : {}),
      }),
  )
  // An account that cannot start (a bad token, a ban) leaves the others running; only when none
  // can, the role fails with every account's reason, one line each. Accounts start side by side:
  // one retrying an unreachable provider does not hold up the others.
  const refused: PuppetStartError[] = []
  // Meanwhile the pool opens and the classifier is built, so the first residents do not wait on
  // them; a failure there is a database down, which the first message reports in its own words.
  const warming = Promise.all([openPool(opts.services.db), warmIntake(opts.services)]).catch(
    (err: unknown) => opts.services.log.warn({ err }, 'warm-up failed'),
  )
  const results = await Promise.allSettled(accounts.map((account) => account.start()))
  await warming
  for (const result of results) {
    if (result.status === 'fulfilled') continue
    if (!(result.reason instanceof PuppetStartError)) {
      for (const account of accounts) await account.stop().catch(() => {})
      throw result.reason
    }
    refused.push(result.reason)
  }
  if (accounts.length > 0 && refused.length === accounts.length) {
    for (const account of accounts) await account.stop().catch(() => {})
    throw new Error(`没有机器人账号能启动：\n${refused.map((e) => `  ${e.message}`).join('\n')}`)
  }
  return {
    accounts,
    account(name) {
      const found = accounts.find((a) => a.name === name)
      if (!found) throw new Error(`no bot account ${name} in this process`)
      return found
    },
    async stop() {
      // Each account closes its own worker first, so no job is taken and then abandoned.
      for (const account of accounts) await account.stop()
      await opts.aroundSend.settle()
    },
  }
}
