/**
 * The staff console: server-rendered pages (hono/jsx) with htmx for the parts that update in
 * place, every asset served from here. Each page calls the same domain functions as chat, with
 * the member's chat roles, so what a township propagandist may do is the same in both.
 */
import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import type { PacingConfig } from '../core/config.ts'
import type { Services } from '../core/services.ts'
import { adminRoutes } from './admin/admin.tsx'
import { assetRoutes } from './assets.ts'
import { refuseForeignPosts, requireCsrf, requireStaff, type WebEnv } from './auth.ts'
import { loginRoutes } from './login.tsx'
import { composeRoutes } from './notices/compose.tsx'
import { noticeRoutes } from './notices/notice-page.tsx'
import { orderRoutes } from './orders/board.tsx'

export interface WebAppOptions {
  /** Current pacing, for the preview's estimate of how long a notice takes. */
  pacing: PacingConfig
  /** Set the session cookie Secure: the console is served over https. */
  secureCookie: boolean
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
  app.use(refuseForeignPosts())
  app.route('/assets', assetRoutes)
  app.route('/', loginRoutes(services, opts))

  // Everything below needs a session, and every POST its CSRF token.
  for (const prefix of ['/notices', '/orders', '/admin']) {
    app.use(prefix, requireStaff(services), requireCsrf())
    app.use(`${prefix}/*`, requireStaff(services), requireCsrf())
  }
  app.get('/', (c) => c.redirect('/notices'))
  app.route('/notices', composeRoutes(services))
  app.route('/notices', noticeRoutes(services, opts.pacing))
  app.route('/orders', orderRoutes(services))
  app.route('/admin', adminRoutes(services))

  // Open311 GeoReport v2 (web/open311/, another engineer's): the lead mounts it here, e.g.
  // app.route('/open311/v2', open311Routes(services))

  return app
}
