/**
 * Sign-in without passwords: the link the bot sends (`登录`) or `quanqun login-link` prints shows
 * a button, and only the button's POST uses the token. A GET never does, so WeChat's link preview
 * fetching the URL cannot burn the link before the person opens it.
 */
import { Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { recordAudit } from '../audit/record-audit.ts'
import type { Services } from '../core/services.ts'
import { requireCsrf, requireStaff, SESSION_COOKIE, staffOf, type WebEnv } from './auth.ts'
import { Page } from './layout.tsx'
import { openSession, revokeSession, SESSION_TTL_MS } from './sessions.ts'

export function loginRoutes(services: Services, opts: { secureCookie: boolean }) {
  const app = new Hono<WebEnv>()

  app.get('/login', (c) => {
    const token = c.req.query('t')
    return c.html(
      <Page title="登录">
        {token ? (
          <form method="post" action="/login" class="card">
            <input type="hidden" name="t" value={token} />
            <p>这是发给你的一次性登录链接，10 分钟内有效，只能使用一次。</p>
            <button type="submit">进入控制台</button>
          </form>
        ) : (
          <div class="card">
            <p>
              在微信里给机器人私聊发送「登录」（或在工作群里发送，机器人会私信回复），点开收到的链接即可进入。
            </p>
          </div>
        )}
      </Page>,
    )
  })

  app.post('/login', async (c) => {
    const body = await c.req.parseBody()
    const token = typeof body.t === 'string' ? body.t : ''
    const opened = await openSession(services.db, token, services.now())
    await recordAudit(services.db, {
      memberId: opened?.memberId ?? null,
      // A refused link names nobody: only its hash could, and that is no one's name.
      actorRef: opened?.wechatId ?? 'web',
      action: 'web.login',
      allowed: opened !== undefined,
    })
    if (!opened) {
      return c.html(
        <Page title="登录链接已失效">
          <p class="error">这个登录链接已使用过或已过期。</p>
          <p>请在微信里给机器人重新发送「登录」获取新链接。</p>
        </Page>,
        403,
      )
    }
    setCookie(c, SESSION_COOKIE, opened.token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: opts.secureCookie,
      path: '/',
      maxAge: SESSION_TTL_MS / 1000,
    })
    return c.redirect('/notices', 303)
  })

  app.post('/logout', requireStaff(services), requireCsrf(), async (c) => {
    const { session, member } = staffOf(c)
    await revokeSession(services.db, session.id)
    await recordAudit(services.db, {
      memberId: member.id,
      actorRef: member.wechatId,
      action: 'web.logout',
      allowed: true,
    })
    deleteCookie(c, SESSION_COOKIE, { path: '/' })
    return c.redirect('/login', 303)
  })

  return app
}
