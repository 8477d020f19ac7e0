/**
 * Administrators' pages: the audit log, searchable by action, actor and outcome (an admin of a
 * township sees the lines about its units; the district's admin sees every line), and the bot
 * accounts with their state and send queues, as `quanqun status` prints them, and every queue of
 * the instance (queues.tsx).
 */
import type { Context, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { searchAudit } from '../../audit/search-audit.ts'
import { formatLocalTime } from '../../core/local-time.ts'
import type { Services } from '../../core/services.ts'
import { listBotAccounts } from '../../network/bot-accounts.ts'
import { ACCOUNT_STATE_NAMES } from '../../network/templates.ts'
import { staffOf, type WebEnv } from '../auth.ts'
import { Page } from '../layout.tsx'
import { queueRoutes } from './queues.tsx'

/** Lines on one page of the log: newest first, narrow the search for older ones. */
const AUDIT_LIMIT = 200

/** The units a member administers; none: not an administrator. */
function adminPaths(c: Context<WebEnv>): string[] {
  return staffOf(c)
    .member.grants.filter((g) => g.role === 'admin')
    .map((g) => g.unitPath)
}

const requireAdmin: MiddlewareHandler<WebEnv> = async (c, next) => {
  if (adminPaths(c).length === 0) {
    return c.html(
      <Page title="无权查看" staff={staffOf(c)}>
        <p class="error">只有管理员可以查看此页。</p>
      </Page>,
      403,
    )
  }
  await next()
}

export function adminRoutes(services: Services) {
  const app = new Hono<WebEnv>()
  app.use('*', requireAdmin)
  app.route('/', queueRoutes(services))

  app.get('/audit', async (c) => {
    const paths = adminPaths(c)
    const action = (c.req.query('action') ?? '').trim().slice(0, 100)
    const actor = (c.req.query('actor') ?? '').trim().slice(0, 200)
    const outcome = c.req.query('allowed')
    const lines = await searchAudit(services.db, {
      // The district's admin (a path without '/') sees every line, those about no unit too.
      ...(paths.some((p) => !p.includes('/')) ? {} : { scopes: paths }),
      ...(action ? { action } : {}),
      ...(actor ? { actor } : {}),
      ...(outcome === 'yes' || outcome === 'no' ? { allowed: outcome === 'yes' } : {}),
      limit: AUDIT_LIMIT,
    })
    return c.html(
      <Page title="审计日志" staff={staffOf(c)}>
        <form method="get" action="/admin/audit" class="filters">
          <label>
            操作（前缀）
            <input type="text" name="action" value={action} placeholder="如 notice. 或 web.login" />
          </label>
          <label>
            操作人（微信号或姓名）
            <input type="text" name="actor" value={actor} />
          </label>
          <label>
            结果
            <select name="allowed">
              <option value="">全部</option>
              <option value="yes" selected={outcome === 'yes'}>
                允许
              </option>
              <option value="no" selected={outcome === 'no'}>
                拒绝
              </option>
            </select>
          </label>
          <button type="submit">查找</button>
        </form>
        <table class="wide" id="audit">
          <tbody>
            {lines.map((l) => (
              <tr>
                <td>{formatLocalTime(l.at, services.timezone)}</td>
                <td>{l.memberName ? `${l.memberName}（${l.actorRef}）` : l.actorRef}</td>
                <td>{l.action}</td>
                <td>{l.unitPath ?? ''}</td>
                <td class={l.allowed ? 'ok' : 'error'}>{l.allowed ? '允许' : '拒绝'}</td>
                <td class="muted">{l.detail ? JSON.stringify(l.detail) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Page>,
    )
  })

  app.get('/accounts', async (c) => {
    const accounts = await listBotAccounts(services.db)
    const rows = await Promise.all(
      accounts.map(async (a) => ({
        account: a,
        counts: await services.messenger
          .queueOf(a.name)
          .getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed'),
      })),
    )
    return c.html(
      <Page title="机器人账号" staff={staffOf(c)}>
        <table class="wide" id="accounts">
          <thead>
            <tr>
              <th>账号</th>
              <th>状态</th>
              <th class="num">待发</th>
              <th class="num">发送中</th>
              <th class="num">失败</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ account, counts }) => (
              <tr data-account={account.name}>
                <td>{account.name}</td>
                <td>
                  {ACCOUNT_STATE_NAMES[account.state]}
                  {account.lastError ? `（${account.lastError}）` : ''}
                </td>
                <td class="num">
                  {(counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0)}
                </td>
                <td class="num">{counts.active ?? 0}</td>
                <td class="num">{counts.failed ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Page>,
    )
  })

  return app
}
