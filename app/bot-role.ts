import { type BotFleet, startBots } from '../bot/bot-fleet.ts'
import { MockNetwork, type MockPerson } from '../bot/mock-network.ts'
import { buildWechaty, endpointAnswers } from '../bot/puppet.ts'
import { type Config, MOCK_PUPPET } from '../core/config.ts'
import type { Stoppable } from '../core/stoppable.ts'
import { until } from '../core/until.ts'
import { listBotAccounts } from '../network/bot-accounts.ts'
import { countUnboundGroups } from '../network/groups.ts'
import type { App } from './app.ts'
import { botWiring } from './bot-wiring.ts'

// Its own module because it is the one role that loads Wechaty (~3 s and ~80 MB): the CLI imports
// it only when a bot is to run, so `quanqun --help` or `notice send` start in a fraction of that.

export interface BotRole extends Stoppable {
  bots: BotFleet
  /** The simulated district, when the puppet is the mock. */
  network: MockNetwork | undefined
}

/**
 * The `bot` role: one Wechaty per account this process owns (all accounts in the database unless
 * `accounts` names some). With the mock puppet the accounts live in a simulated district.
 */
export async function startBotRole(
  app: App,
  config: Config,
  opts: { accounts?: readonly string[]; residents?: readonly MockPerson[] } = {},
): Promise<BotRole> {
  const { db } = app.services
  const rows = await listBotAccounts(db, opts.accounts)
  if (rows.length === 0) {
    throw new Error(
      '没有机器人账号：先用 `quanqun network import <csv>` 导入网络（含「机器人」列）',
    )
  }
  const network =
    config.puppet === MOCK_PUPPET ? await MockNetwork.build(db, opts.residents) : undefined
  const accounts = network
    ? network.accounts.filter((a) => rows.some((r) => r.name === a.name))
    : rows.map((r) => ({
        name: r.name,
        wechaty: buildWechaty({
          account: r.name,
          puppet: config.puppet,
          token: config.puppetToken,
          endpoint: config.puppetEndpoint,
          noTls: config.puppetNoTls,
          dataDir: config.dataDir,
        }),
      }))
  const endpoint = network ? undefined : config.puppetEndpoint
  const bots = await startBots({
    ...botWiring(app.services),
    services: app.services,
    puppetName: config.puppet,
    pacing: config.pacing,
    retryFirstMs: config.accountRun.retryFirstMs,
    startRetries: config.accountRun.startRetries,
    startTimeoutMs: config.accountRun.startTimeoutMs,
    // The mock's simulated accounts live in this process: nothing to share, nothing to lease.
    ...(network ? {} : { leaseMs: config.accountRun.leaseMs }),
    ...(endpoint ? { reachable: () => endpointAnswers(endpoint) } : {}),
    accounts: accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
  })
  if (network) {
    network.login()
    // The simulated rooms bind within milliseconds; waiting here means nothing is said too early.
    const ids = rows.map((r) => r.id)
    await until(async () => (await countUnboundGroups(db, ids)) === 0, 30_000)
  }
  return { bots, network, close: () => bots.stop() }
}
