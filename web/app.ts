/**
 * The staff console: server-rendered pages (hono/jsx) with htmx for the parts that update in
 * place, every asset served from here. Each page calls the same domain functions as chat, with
 * the member's chat roles, so what a township propagandist may do is the same in both.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { secureHeaders } from 'hono/secure-headers'
import { maxAttachmentBytes, tooLargeText } from '../broadcasts/notice-attachments.ts'
import type { PacingConfig } from '../core/config.ts'
import type { Services } from '../core/services.ts'
import { adminRoutes } from './admin/admin.tsx'
import { assetRoutes } from './assets.ts'
import { refuseForeignPosts, requireCsrf, requireStaff, type WebEnv } from './auth.ts'
import { loginRoutes } from './login.tsx'
import { composeRoutes } from './notices/compose.tsx'
import { noticeRoutes } from './notices/notice-page.tsx'
import { open311Routes } from './open311/routes.ts'
import { orderRoutes } from './orders/board.tsx'
import { ratesRoutes } from './orders/rates.tsx'

export interface WebAppOptions {
  /** Current pacing, for the preview's estimate of how long a notice takes. */
  pacing: PacingConfig
  /** Set the session cookie Secure: the console is served over https. */
  secureCookie: boolean
}

/** A console form without files: a notice's text and a bulk action's order codes fit many times. */
const FORM_MAX_BYTES = 1024 * 1024

function consoleBodyLimit(maxSize: number, refusal: string) {
  return bodyLimit({ maxSize, onError: (c) => c.text(refusal, 413) })
}

export function createWebApp(services: Services, opts: WebAppOptions): Hono<WebEnv> {
  const app = new Hono<WebEnv>()
  // Scripts and styles only from this origin; no framing (clickjacking a confirm button).
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        frameAncestors: ["'none'"],
      },
    }),
  )
  app.onError((err, c) => {
    services.log.error({ err, path: c.req.path }, 'console request failed')
    return c.text('出错了，请稍后重试', 500)
  })
  // Open311 GeoReport v2 for other systems: authenticated by its API key, not a session, so it
  // comes before the console's same-origin and CSRF checks (web/open311/routes.ts).
  app.route('/open311/v2', open311Routes(services))
  app.use(refuseForeignPosts())
  app.route('/assets', assetRoutes)
  app.route('/', loginRoutes(services, opts))

  // Everything below needs a session, and every POST its CSRF token. The CSRF check reads the
  // body, so its size is bounded first: a form is small, a notice may carry a picture and a file.
  const forms = consoleBodyLimit(FORM_MAX_BYTES, '提交的内容太大。')
  const uploads = consoleBodyLimit(
    2 * maxAttachmentBytes(services) + FORM_MAX_BYTES,
    tooLargeText(services),
  )
  for (const prefix of ['/notices', '/orders', '/rates', '/admin']) {
    const limit = prefix === '/notices' ? uploads : forms
    app.use(prefix, limit, requireStaff(services), requireCsrf())
    app.use(`${prefix}/*`, limit, requireStaff(services), requireCsrf())
  }
  app.get('/', (c) => c.redirect('/notices'))
  app.route('/notices', composeRoutes(services))
  app.route('/notices', noticeRoutes(services, opts.pacing))
  app.route('/orders', orderRoutes(services))
  app.route('/rates', ratesRoutes(services))
  app.route('/admin', adminRoutes(services))

  return app
}
