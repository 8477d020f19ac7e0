import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import type { Stoppable } from '../core/stoppable.ts'
import type { WebEnv } from './auth.ts'

export interface WebServer extends Stoppable {
  /** Where it listens, e.g. http://127.0.0.1:3000 (the real port when 0 was asked). */
  url: string
}

/** Serves the console over HTTP on `host:port`; resolves once it listens. */
export function startWebServer(
  app: Hono<WebEnv>,
  opts: { host: string; port: number },
): Promise<WebServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, (info) => {
      const { port } = info as AddressInfo
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
      resolve({
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            // Polling and SSE clients keep connections open: close them rather than wait.
            if ('closeAllConnections' in server) server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
    server.once('error', reject)
  })
}
