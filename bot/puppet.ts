import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type PuppetModuleName, type Wechaty, WechatyBuilder } from 'wechaty'
import { type mock, PuppetMock } from 'wechaty-puppet-mock'

import { MOCK_PUPPET } from '../core/config.ts'

export { MOCK_PUPPET }

export interface WechatyOptions {
  account: string
  /** A puppet package name (WECHATY_PUPPET): the mock for demo and tests, a real one in production. */
  puppet: string
  token?: string | undefined
  /** Where a real puppet keeps its login session (Wechaty's memory card). */
  dataDir: string
  /** The mock's world; required with the mock puppet. */
  mocker?: mock.Mocker
}

/** Where a real puppet keeps an account's login session: Wechaty's name, and its memory card file. */
export function sessionOf(dataDir: string, account: string): { name: string; file: string } {
  const name = join(dataDir, 'wechaty', encodeURIComponent(account))
  return { name, file: `${name}.memory-card.json` }
}

/** One Wechaty instance for one bot account. */
export function buildWechaty(opts: WechatyOptions): Wechaty {
  if (opts.puppet === MOCK_PUPPET) {
    if (!opts.mocker) throw new Error('the mock puppet needs a mocker (a simulated network)')
    return WechatyBuilder.build({ puppet: new PuppetMock({ mocker: opts.mocker }) })
  }
  // The memory card is written there on login; a fresh data directory must not crash the bot.
  mkdirSync(dirname(sessionOf(opts.dataDir, opts.account).file), { recursive: true })
  return WechatyBuilder.build({
    // The name is the memory card's file path: the session survives restarts without a re-scan.
    name: sessionOf(opts.dataDir, opts.account).name,
    puppet: opts.puppet as PuppetModuleName,
    ...(opts.token ? { puppetOptions: { token: opts.token } } : {}),
  })
}
