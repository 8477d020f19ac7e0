/**
 * The board's bulk submit: the orders ticked, dispatched to one worker or re-categorised in one
 * go. Each order goes through the same function as its own page's button (order-actions.ts), one
 * after another with the member as the actor, so each is authorized and audited on its own; the
 * result says how many were done and lists each refusal with its reason.
 */
import { Hono } from 'hono'
import type { Services } from '../../core/services.ts'
import { readChains } from '../../network/queries.ts'
import type { Category } from '../../orders/catalogue.ts'
import { type Candidate, workersCovering } from '../../orders/dispatch.ts'
import type { ListedOrder } from '../../orders/order-queries.ts'
import { type Staff, staffOf, type WebEnv } from '../auth.ts'
import { CsrfField, Page } from '../layout.tsx'
import { dispatchOrder, readableOrder, recategorizeOrder } from './order-actions.ts'

/** Orders one submit may carry: a full board page. */
const BULK_MAX = 500

const ACTIONS = { dispatch: '批量派单', recategorize: '批量改类' } as const
type BulkAction = keyof typeof ACTIONS

/** Workers offered for a bulk dispatch: the least loaded first, a select one can still scan. */
const WORKERS_SHOWN = 300

/**
 * Who the board's orders may go to: a worker role on one of their handling units or a unit above
 * it (as on an order's own page), read for the rows shown only, so a district's board does not
 * read every unit below it. The state machine still decides each order.
 */
export async function workersForBoard(
  services: Services,
  rows: readonly ListedOrder[],
): Promise<Candidate[]> {
  const handling = [...new Set(rows.map((r) => r.handlingUnitId))]
  if (handling.length === 0) return []
  const chains = await readChains(services.db, handling)
  const units = new Set([...chains.values()].flat().map((u) => u.id))
  const workers = await workersCovering(services.db, [...units])
  return workers.sort((a, b) => a.load - b.load || a.memberId - b.memberId).slice(0, WORKERS_SHOWN)
}

/** Under the board's table, inside its form: what to do with the orders ticked. */
export function BulkBar(props: {
  staff: Staff
  workers: readonly Candidate[]
  categories: readonly Category[]
}) {
  return (
    <div class="card filters" id="bulk-bar">
      <CsrfField staff={props.staff} />
      <label>
        派给
        <select name="assignee">
          {props.workers.map((w) => (
            <option value={w.wechatId}>
              {w.name}（在办 {w.load} 单）
            </option>
          ))}
        </select>
      </label>
      <button type="submit" name="action" value="dispatch">
        {ACTIONS.dispatch}
      </button>
      <label>
        改类为
        <select name="category">
          {props.categories.map((cat) => (
            <option value={cat.code}>{cat.name}</option>
          ))}
        </select>
      </label>
      <button type="submit" name="action" value="recategorize">
        {ACTIONS.recategorize}
      </button>
    </div>
  )
}

/** A form field as one string, cut to `max`; '' when absent or a file. */
const field = (value: unknown, max: number) =>
  typeof value === 'string' ? value.slice(0, max) : ''

/** The codes ticked, each once, at most BULK_MAX; the rest of a forged list is ignored. */
function codesOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value]
  const codes = list.flatMap((v) => (typeof v === 'string' ? [v.trim().slice(0, 20)] : []))
  return [...new Set(codes.filter((c) => c !== ''))].slice(0, BULK_MAX)
}

export function bulkRoutes(services: Services) {
  const app = new Hono<WebEnv>()

  app.post('/bulk', async (c) => {
    const staff = staffOf(c)
    const body = await c.req.parseBody({ all: true })
    const action = field(body.action, 20)
    if (!(action in ACTIONS)) return c.text('未知的操作', 400)
    const codes = codesOf(body.code)
    const assignee = field(body.assignee, 200)
    const category = field(body.category, 100)
    const done: { code: string; message: string }[] = []
    const refused: { code: string; reason: string }[] = []
    // One after another: each is a transaction of its own, and its dispatch message is queued
    // before the next order is looked at.
    for (const code of codes) {
      const found = await readableOrder(services, staff.member, code)
      if (!found) {
        refused.push({ code, reason: '没有这个工单，或你无权查看。' })
        continue
      }
      const result =
        (action as BulkAction) === 'dispatch'
          ? await dispatchOrder(services, staff.member, found.order, assignee)
          : await recategorizeOrder(services, staff.member, found.order, category)
      if (result.ok) done.push({ code: found.order.code, message: result.message })
      else refused.push({ code: found.order.code, reason: result.reason })
    }
    services.log.info(
      { action, actor: staff.member.wechatId, done: done.length, refused: refused.length },
      'orders bulk action',
    )
    return c.html(
      <Page title={ACTIONS[action as BulkAction]} staff={staff}>
        <p class={refused.length === 0 ? 'card ok' : 'card'} id="bulk-result">
          共 {codes.length} 单：成功 <strong data-done={done.length}>{done.length}</strong> 单
          {refused.length > 0 && (
            <>
              ，未处理 <strong data-refused={refused.length}>{refused.length}</strong> 单
            </>
          )}
          。
        </p>
        {codes.length === 0 && <p class="muted">没有勾选工单。</p>}
        {refused.length > 0 && (
          <>
            <h2>未处理的工单</h2>
            <table class="wide" id="refused">
              <tbody>
                {refused.map((r) => (
                  <tr data-code={r.code}>
                    <td>{r.code}</td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        {done.length > 0 && (
          <table class="wide" id="done">
            <tbody>
              {done.map((r) => (
                <tr data-code={r.code}>
                  <td>
                    <a href={`/orders/${r.code}`}>{r.code}</a>
                  </td>
                  <td>{r.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <a href="/orders">返回工单列表</a>
        </p>
      </Page>,
    )
  })

  return app
}
