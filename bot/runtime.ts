import type { Redis } from 'ioredis'
import type { Wechaty } from 'wechaty'
import type { Db } from '../db/client.ts'
import type { PacingRules } from '../queues/pacing.ts'
import type { Logger } from '../runtime/logger.ts'
import { BotAccount } from './account.ts'
import type { HandlerTable } from './context.ts'

export interface BotRuntimeOptions {
  db: Db
  log: Logger
  connection: Redis
  queuePrefix: string
  puppetName: string
  pacing: PacingRules & { cooldownMs: number }
  accounts: readonly { name: string; wechaty: Wechaty }[]
  handlers?: HandlerTable
}

export interface BotRuntime {
  accounts: BotAccount[]
  account(name: string): BotAccount
  stop(): Promise<void>
}

/** Starts every account this process owns; `quanqun bot` and `quanqun start` run this. */
export async function startBots(opts: BotRuntimeOptions): Promise<BotRuntime> {
  const accounts = opts.accounts.map(
    ({ name, wechaty }) =>
      new BotAccount({
        name,
        wechaty,
        db: opts.db,
        log: opts.log,
        connection: opts.connection,
        queuePrefix: opts.queuePrefix,
        puppetName: opts.puppetName,
        pacing: opts.pacing,
        ...(opts.handlers ? { handlers: opts.handlers } : {}),
      }),
  )
  for (const account of accounts) await account.start()
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
    },
  }
}
