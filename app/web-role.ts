import type { Config } from '../core/config.ts'
import { createWebApp } from '../web/app.ts'
import { startWebServer, type WebServer } from '../web/server.ts'
import type { App } from './app.ts'

/** The staff console on WEB_HOST:WEB_PORT, with the pacing the process's bots send at. */
export async function startWebRole(
  app: App,
  config: Pick<Config, 'web' | 'pacing'>,
): Promise<WebServer> {
  const web = createWebApp(app.services, {
    pacing: config.pacing,
    secureCookie: (app.services.staffConsole?.url ?? '').startsWith('https://'),
  })
  const server = await startWebServer(web, { host: config.web.host, port: config.web.port })
  // A port picked at start (0) is known only now: the bots of this process link to it.
  app.services.staffConsole ??= {}
  app.services.staffConsole.url ??= server.url
  return server
}
