import { mkdirSync } from 'node:fs'
import { connect } from 'node:net'
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
  /** wechaty-puppet-service: the provider's host:port, and plain gRPC instead of TLS. */
  endpoint?: string | undefined
  noTls?: boolean
  /** Where a real puppet keeps its login session (Wechaty's memory card). */
  dataDir: string
  /** The mock's world; required with the mock puppet. */
  mocker?: mock.Mocker
  /** Builds the mock puppet (tests give one that returns message ids); PuppetMock by default. */
  mockPuppet?: MockPuppetFactory | undefined
}

export type MockPuppetFactory = (mocker: mock.Mocker) => PuppetMock

/** Where a real puppet keeps an account's login session: Wechaty's name, and its memory card file. */
export function sessionOf(dataDir: string, account: string): { name: string; file: string } {
  const name = join(dataDir, 'wechaty', encodeURIComponent(account))
  return { name, file: `${name}.memory-card.json` }
}

/** One Wechaty instance for one bot account. */
export function buildWechaty(opts: WechatyOptions): Wechaty {
  if (opts.puppet === MOCK_PUPPET) {
    if (!opts.mocker) throw new Error('the mock puppet needs a mocker (a simulated network)')
    const puppet = opts.mockPuppet?.(opts.mocker) ?? new PuppetMock({ mocker: opts.mocker })
    return WechatyBuilder.build({ puppet })
  }
  // The memory card is written there on login; a fresh data directory must not crash the bot.
  mkdirSync(dirname(sessionOf(opts.dataDir, opts.account).file), { recursive: true })
  return WechatyBuilder.build({
    // The name is the memory card's file path: the session survives restarts without a re-scan.
    name: sessionOf(opts.dataDir, opts.account).name,
    puppet: opts.puppet as PuppetModuleName,
    puppetOptions: {
      ...(opts.token ? { token: opts.token } : {}),
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.noTls ? { tls: { disable: true } } : {}),
    },
  })
}

/**
 * Whether anything accepts a TCP connection at `endpoint` (host:port) within `ms`. A puppet-service
 * start against a provider that is down takes ~5 s to fail (the client waits that long for its
 * event stream), so retries ask this first and stay seconds apart, not tens of seconds.
 */
export function endpointAnswers(endpoint: string, ms = 1_000): Promise<boolean> {
  const at = endpoint.lastIndexOf(':')
  const host = endpoint.slice(0, at).replace(/^\[|\]$/g, '')
  const port = Number(endpoint.slice(at + 1))
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: ms })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}
