import { join } from 'node:path'
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

/** One Wechaty instance for one bot account. */
export function buildWechaty(opts: WechatyOptions): Wechaty {
  if (opts.puppet === MOCK_PUPPET) {
    if (!opts.mocker) throw new Error('the mock puppet needs a mocker (a simulated network)')
    return WechatyBuilder.build({ puppet: new PuppetMock({ mocker: opts.mocker }) })
  }
  return WechatyBuilder.build({
    // The name is the memory card's file path: the session survives restarts without a re-scan.
    name: join(opts.dataDir, 'wechaty', encodeURIComponent(opts.account)),
    puppet: opts.puppet as PuppetModuleName,
    ...(opts.token ? { puppetOptions: { token: opts.token } } : {}),
  })
}
