import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import type { Services } from '../../core/services.ts'
import { issueLoginLink } from '../../network/login-links.ts'
import { findMemberByWechatId } from '../../network/roles.ts'
import { createWebApp } from '../../web/app.ts'
import { startWebServer, type WebServer } from '../../web/server.ts'
import { FAST_PACING } from './sample-district.ts'

/** Debian's Chromium (`.ci/run` installs it): playwright-core never downloads a browser here. */
const CHROMIUM = '/usr/bin/chromium'

/** The console on a free port of 127.0.0.1, on the district's services; the bots link to it. */
export async function startConsole(services: Services): Promise<WebServer> {
  const server = await startWebServer(
    createWebApp(services, { pacing: FAST_PACING, secureCookie: false }),
    { host: '127.0.0.1', port: 0 },
  )
  services.staffConsole ??= {}
  services.staffConsole.url = server.url
  return server
}

/** One headless Chromium for a whole test file, closed after it. */
export function browserPerFile(): () => Browser {
  let browser: Browser | undefined
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })
  afterAll(async () => {
    await browser?.close()
  })
  return () => {
    if (!browser) throw new Error('browser not started: call inside a test')
    return browser
  }
}

/** A one-time login link for a member, as `quanqun login-link` prints it. */
export async function loginLinkFor(
  services: Services,
  wechatId: string,
  now = services.now(),
): Promise<string> {
  const member = await findMemberByWechatId(services.db, wechatId)
  if (!member) throw new Error(`no member ${wechatId}`)
  const link = await issueLoginLink(services.db, {
    memberId: member.id,
    issuedBy: 'test',
    consoleUrl: services.staffConsole?.url ?? '',
    now,
  })
  return link.url
}

/** A fresh browser context (its own cookies) signed in through a login link. */
export async function signedIn(browser: Browser, services: Services, wechatId: string) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  // A missing element fails within seconds with what was looked for, not at the test's timeout.
  context.setDefaultTimeout(5_000)
  const page = await context.newPage()
  await page.goto(await loginLinkFor(services, wechatId))
  await page.getByRole('button', { name: '进入控制台' }).click()
  await page.waitForURL('**/notices')
  return { context, page }
}

/** The session cookie and CSRF token of a signed-in page, for plain HTTP requests. */
export async function credentialsOf(page: Page): Promise<{ cookie: string; csrf: string }> {
  const cookies = await page.context().cookies()
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  const csrf = await page.locator('input[name=_csrf]').first().inputValue()
  return { cookie, csrf }
}
