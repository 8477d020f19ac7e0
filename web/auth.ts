/**
 * Who is asking: the session cookie read on every request into the member with their current
 * roles (the same grants chat checks, so a role removed in the roster is gone from the console
 * at the next click), and the CSRF token every state-changing request must carry.
 */
import { timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import type { NoticeActor } from '../broadcasts/authorize.ts'
import type { Services } from '../core/services.ts'
import { CONSOLE_ROLES } from '../network/login-links.ts'
import { findMemberByWechatId, type KnownMember } from '../network/roles.ts'
import { type LiveSession, readSession } from './sessions.ts'

export const SESSION_COOKIE = 'qq_session'

export interface Staff {
  session: LiveSession
  member: KnownMember
}

export type WebEnv = { Variables: { staff: Staff } }

/** The signed-in staff member; only routes behind `requireStaff` call it. */
export function staffOf(c: Context<WebEnv>): Staff {
  return c.get('staff')
}

/** The member as the notice domain sees them: held to their grants, exactly as in chat. */
export function noticeActorOf(staff: Staff): NoticeActor {
  return { kind: 'member', ref: staff.member.wechatId, member: staff.member }
}

/** Sends anyone without a live session (or no staff role left) to the sign-in page. */
export function requireStaff(services: Services): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE)
    const session = token ? await readSession(services.db, token, services.now()) : undefined
    const member = session && (await findMemberByWechatId(services.db, session.wechatId))
    if (!session || !member?.grants.some((g) => CONSOLE_ROLES.includes(g.role))) {
      return c.req.method === 'GET' ? c.redirect('/login') : c.text('请先登录', 401)
    }
    c.set('staff', { session, member })
    await next()
  }
}

/**
 * A request that changes something and names another site as its origin is refused before
 * anything else, the sign-in's POST included (it has no session to hold a CSRF token yet).
 */
export function refuseForeignPosts(): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin')
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && origin && origin !== 'null') {
      let host: string | undefined
      try {
        host = new URL(origin).host
      } catch {
        host = undefined
      }
      if (host !== new URL(c.req.url).host) return c.text('来源不明的请求', 403)
    }
    await next()
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Every request that is not a read carries the session's CSRF token (a form's `_csrf` field or
 * the `X-CSRF-Token` header): a page on another site can make the browser post, not read it.
 */
export function requireCsrf(): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const header = c.req.header('x-csrf-token')
    const type = c.req.header('content-type') ?? ''
    const form =
      header === undefined &&
      (type.startsWith('application/x-www-form-urlencoded') ||
        type.startsWith('multipart/form-data'))
        ? (await c.req.parseBody())._csrf
        : undefined
    const sent = header ?? (typeof form === 'string' ? form : '')
    if (!sameToken(sent, staffOf(c).session.csrf))
      return c.text('表单已失效，请刷新页面后重试', 403)
    await next()
  }
}
