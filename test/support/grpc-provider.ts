import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { spawnChild } from './child.ts'

/** A port free on 127.0.0.1 right now (the OS picks it; a restarted provider reuses it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** One line the bot said, as the provider saw it (`at`: the provider's clock, ms). */
export interface ProviderSaid {
  topic: string
  roomId: string
  text: string
  at: number
}

export interface GrpcProvider {
  port: number
  token: string
  /** The puppet-service variables `quanqun bot` needs to reach this provider. */
  botEnv: Record<string, string>
  say(wechatId: string, topic: string, text: string): Promise<void>
  /** The next `count` sends fail with `text` (e.g. WeChat's throttling 操作过于频繁). */
  fail(count: number, text: string): Promise<void>
  said(): Promise<ProviderSaid[]>
  /** Kills the provider (SIGKILL, as a crash) and starts a fresh one on the same port. */
  restart(): Promise<void>
  stop(): Promise<void>
}

export interface ProviderOptions {
  databaseUrl: string
  account: string
  tls?: boolean
  /** A port of the test's choosing (the bot may be started first); a free one by default. */
  port?: number
  /** The token clients must present; a fresh `insecure_…` one by default. */
  token?: string
}

const CHILD = new URL('./grpc-provider-child.ts', import.meta.url).pathname

/**
 * A puppet-service provider for one account of the district in `databaseUrl`, in a child process
 * (grpc-provider-child.ts), with the control calls a test needs. Plain gRPC, or TLS with the
 * package's self-signed certificate, which only an `insecure_` token's SNI accepts.
 */
export async function startProvider(opts: ProviderOptions): Promise<GrpcProvider> {
  const port = opts.port ?? (await freePort())
  const token = opts.token ?? `insecure_${randomUUID()}`
  let control = 0
  let current: ReturnType<typeof spawnChild> | undefined

  const launch = async () => {
    current = spawnChild(CHILD, {
      DATABASE_URL: opts.databaseUrl,
      ACCOUNT: opts.account,
      PORT: String(port),
      TOKEN: token,
      TLS: opts.tls ? '1' : '0',
      // The package logs through wechaty-puppet's logger: quiet unless a test asks.
      WECHATY_LOG: process.env.TEST_PROVIDER_LOG ?? 'silent',
    })
    const listening = await current.next('listening')
    control = Number(listening.control)
  }
  const kill = async () => {
    const child = current?.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${control}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    if (!res.ok) throw new Error(`provider ${path}: ${res.status} ${await res.text()}`)
    return res.json() as Promise<unknown>
  }

  await launch()
  return {
    port,
    token,
    botEnv: {
      WECHATY_PUPPET: 'wechaty-puppet-service',
      WECHATY_PUPPET_SERVICE_TOKEN: token,
      WECHATY_PUPPET_SERVICE_ENDPOINT: `127.0.0.1:${port}`,
      ...(opts.tls ? {} : { WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: 'true' }),
    },
    async say(wechatId, topic, text) {
      await call('POST', '/say', { wechatId, topic, text })
    },
    async fail(count, text) {
      await call('POST', '/fail', { count, text })
    },
    said: () => call('GET', '/said') as Promise<ProviderSaid[]>,
    async restart() {
      await kill()
      await launch()
    },
    stop: kill,
  }
}
