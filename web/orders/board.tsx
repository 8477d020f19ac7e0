/**
 * The order board: open orders under the staff member's units, filtered by unit, status,
 * category and overdue, each with its SLA clock; an order's timeline; dispatch or re-dispatch
 * through the same `applyAction` as chat's 派单 (the state machine checks the station role and
 * the assignee); several ticked orders dispatched or re-categorised at once (bulk.tsx); a CSV of
 * what the filters show. Residents' names are masked on the board; the
 * order page shows what `readView` allows, as 进度 does in chat.
 */

import type { Context } from 'hono'
import { Hono } from 'hono'
import { toCsv } from '../../core/csv.ts'
import type { Services } from '../../core/services.ts'
import { ORDER_STATUSES, type OrderStatus } from '../../db/schema/orders.ts'
import { isWithin } from '../../network/permissions.ts'
import { ancestors } from '../../network/queries.ts'
import { listCategories } from '../../orders/catalogue.ts'
import { workersCovering } from '../../orders/dispatch.ts'
import { type ListedOrder, listOrders } from '../../orders/order-queries.ts'
import { statusName } from '../../orders/templates.ts'
import { renderProgress } from '../../orders/views.ts'
import { type Staff, staffOf, type WebEnv } from '../auth.ts'
import { CsrfField, Page } from '../layout.tsx'
import { BulkBar, bulkRoutes, workersForBoard } from './bulk.tsx'
import { dispatchOrder, readableOrder, recategorizeOrder } from './order-actions.ts'

/** Rows on one board page and in one CSV. */
const BOARD_LIMIT = 500

interface BoardFilter {
  unitPath: string
  status: OrderStatus | undefined
  category: string | undefined
  overdue: boolean
}

/** The member's units, broadest first: the board's scope choices. */
function scopesOf(staff: Staff): string[] {
  const paths = [...new Set(staff.member.grants.map((g) => g.unitPath))]
  return paths.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
}

/** The filters from the query string; a unit outside the member's scopes is refused. */
function parseFilter(c: Context<WebEnv>): BoardFilter | undefined {
  const scopes = scopesOf(staffOf(c))
  const unit = (c.req.query('unit') ?? '').slice(0, 500)
  if (unit !== '' && !scopes.some((s) => isWithin(unit, s))) return undefined
  const status = c.req.query('status')
  const category = (c.req.query('category') ?? '').slice(0, 100)
  return {
    unitPath: unit || scopes[0] || '',
    status: (ORDER_STATUSES as readonly string[]).includes(status ?? '')
      ? (status as OrderStatus)
      : undefined,
    category: category || undefined,
    overdue: c.req.query('overdue') === '1',
  }
}

const maskName = (name: string) => (name ? `${[...name][0]}*` : '')

/** "剩 25 分钟", "超时 1 小时 5 分钟". */
function slaClock(dueAt: Date | null, now: Date): string {
  if (!dueAt) return '—'
  const minutes = Math.round((dueAt.getTime() - now.getTime()) / 60_000)
  const abs = Math.abs(minutes)
  const span = abs < 60 ? `${abs} 分钟` : `${Math.floor(abs / 60)} 小时 ${abs % 60} 分钟`
  return minutes >= 0 ? `剩 ${span}` : `超时 ${span}`
}

async function boardRows(services: Services, f: BoardFilter): Promise<ListedOrder[]> {
  return listOrders(services.db, {
    unitPath: f.unitPath,
    all: f.status !== undefined,
    ...(f.status ? { status: f.status } : {}),
    ...(f.category ? { category: f.category } : {}),
    overdue: f.overdue,
    now: services.now(),
    limit: BOARD_LIMIT,
  })
}

export function orderRoutes(services: Services) {
  const app = new Hono<WebEnv>()
  const forbidden = (c: Context<WebEnv>) =>
    c.html(
      <Page title="无权查看" staff={staffOf(c)}>
        <p class="error">没有这个单位或工单，或你无权查看。</p>
      </Page>,
      404,
    )

  app.get('/', async (c) => {
    const f = parseFilter(c)
    if (!f) return forbidden(c)
    const staff = staffOf(c)
    const [rows, categories] = await Promise.all([boardRows(services, f), listCategories(services)])
    const workers = await workersForBoard(services, rows)
    const now = services.now()
    const query = new URL(c.req.url).search
    return c.html(
      <Page title="工单" staff={staff}>
        <form method="get" action="/orders" class="filters">
          <label>
            单位
            <select name="unit">
              {scopesOf(staff).map((p) => (
                <option value={p} selected={p === f.unitPath}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          <label>
            状态
            <select name="status">
              <option value="">未结的全部</option>
              {ORDER_STATUSES.map((s) => (
                <option value={s} selected={s === f.status}>
                  {statusName[s]}
                </option>
              ))}
            </select>
          </label>
          <label>
            类别
            <select name="category">
              <option value="">全部</option>
              {categories.map((cat) => (
                <option value={cat.code} selected={cat.code === f.category}>
                  {cat.name}
                </option>
              ))}
            </select>
          </label>
          <label class="choice">
            <input type="checkbox" name="overdue" value="1" checked={f.overdue} />
            只看超时
          </label>
          <button type="submit">筛选</button>
        </form>
        <p>
          共 {rows.length} 单 · <a href={`/orders/export.csv${query}`}>导出 CSV</a>
        </p>
        {/* The ticked orders, dispatched or re-categorised in one submit (bulk.tsx). */}
        <form method="post" action="/orders/bulk" id="bulk">
          <table class="wide">
            <thead>
              <tr>
                <th>选择</th>
                <th>单号</th>
                <th>类别</th>
                <th>状态</th>
                <th>承办单位</th>
                <th>处理人</th>
                <th>居民</th>
                <th>时限</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((o) => (
                <tr data-code={o.code}>
                  <td>
                    <input
                      type="checkbox"
                      name="code"
                      value={o.code}
                      aria-label={`选择 ${o.code}`}
                    />
                  </td>
                  <td>
                    <a href={`/orders/${o.code}`}>{o.code}</a>
                  </td>
                  <td>{o.category}</td>
                  <td>{statusName[o.status]}</td>
                  <td>{o.handlingPath}</td>
                  <td>{o.assignee ?? '—'}</td>
                  <td>{maskName(o.resident)}</td>
                  <td class={o.overdue ? 'overdue' : ''}>{slaClock(o.dueAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > 0 && <BulkBar staff={staff} workers={workers} categories={categories} />}
        </form>
      </Page>,
    )
  })

  app.get('/export.csv', async (c) => {
    const f = parseFilter(c)
    if (!f) return forbidden(c)
    const now = services.now()
    const rows = await boardRows(services, f)
    const body = toCsv(
      ['单号', '类别', '状态', '承办单位', '处理人', '居民', '下单时间', '时限', '是否超时'],
      rows.map((o) => [
        o.code,
        o.category,
        statusName[o.status],
        o.handlingPath,
        o.assignee ?? '',
        maskName(o.resident),
        o.createdAt.toISOString(),
        o.dueAt?.toISOString() ?? '',
        o.overdue ? '是' : '否',
      ]),
    )
    return c.body(body, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="orders-${now.toISOString().slice(0, 10)}.csv"`,
    })
  })

  /** The order, if the member may read it (readView, as 进度), with how much of it. */
  const readable = (c: Context<WebEnv>) =>
    readableOrder(services, staffOf(c).member, c.req.param('code') ?? '')

  const orderPage = async (
    c: Context<WebEnv>,
    code: string,
    message?: string,
    status: 200 | 403 = 200,
  ) => {
    const found = await readable(c)
    if (!found) return forbidden(c)
    const staff = staffOf(c)
    const { order, view } = found
    const chain = await ancestors(services.db, order.handlingUnitId)
    const [candidates, categories] = await Promise.all([
      workersCovering(
        services.db,
        chain.map((u) => u.id),
      ),
      listCategories(services),
    ])
    return c.html(
      <Page title={`工单 ${code}`} staff={staff}>
        {message && <p class={status === 200 ? 'card ok' : 'card error'}>{message}</p>}
        <pre class="card" style="white-space:pre-wrap" id="timeline">
          {await renderProgress(services, order, view)}
        </pre>
        <form method="post" action={`/orders/${order.code}/dispatch`} class="card">
          <CsrfField staff={staff} />
          <label>
            派给
            <select name="assignee">
              {candidates.map((w) => (
                <option value={w.wechatId} selected={w.memberId === order.assigneeMemberId}>
                  {w.name}（在办 {w.load} 单）
                </option>
              ))}
            </select>
          </label>
          <p>
            <button type="submit">{order.assigneeMemberId ? '改派' : '派单'}</button>
          </p>
        </form>
        <form method="post" action={`/orders/${order.code}/recategorize`} class="card">
          <CsrfField staff={staff} />
          <label>
            改类为
            <select name="category">
              {categories.map((cat) => (
                <option value={cat.code} selected={cat.id === order.categoryId}>
                  {cat.name}
                </option>
              ))}
            </select>
          </label>
          <p>
            <button type="submit">改类</button>
          </p>
        </form>
      </Page>,
      status,
    )
  }

  app.route('/', bulkRoutes(services))

  app.get('/:code', async (c) => orderPage(c, c.req.param('code').toUpperCase()))

  // Dispatch and 改类 read one form field and call their action: the same answer either way.
  const orderAction =
    (field: string, max: number, act: typeof dispatchOrder) =>
    async (c: Parameters<typeof orderPage>[0]) => {
      const found = await readable(c)
      if (!found) return forbidden(c)
      const body = await c.req.parseBody()
      const value = typeof body[field] === 'string' ? body[field].slice(0, max) : ''
      const result = await act(services, staffOf(c).member, found.order, value)
      return result.ok
        ? orderPage(c, found.order.code, result.message)
        : orderPage(c, found.order.code, result.reason, 403)
    }
  app.post('/:code/dispatch', orderAction('assignee', 200, dispatchOrder))
  app.post('/:code/recategorize', orderAction('category', 100, recategorizeOrder))

  return app
}
