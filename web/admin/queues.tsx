/**
 * The BullMQ queues of this instance for administrators (bull-board's job, rendered here: its UI
 * loads fonts from a CDN): each account's send queue, the notices' fan-out and the orders' SLA
 * timers, with their jobs per state, the latest failures and a button that retries a queue's
 * failed jobs (audited). Jobs are shown by id, name and failure only, never their data: an
 * order's or a notice's job carries residents' text. A failure's text is masked (phone numbers,
 * ID numbers, doors) and cut, as it may quote a puppet's answer.
 */
import type { Queue } from 'bullmq'
import { type Context, Hono } from 'hono'
import { recordAudit } from '../../audit/record-audit.ts'
import { formatLocalTime } from '../../core/local-time.ts'
import { maskPersonalData } from '../../core/personal-data.ts'
import type { Services } from '../../core/services.ts'
import { listBotAccounts } from '../../network/bot-accounts.ts'
import { createFanoutQueue } from '../../queues/fanout-queue.ts'
import { failureReason } from '../../queues/send-failures.ts'
import { createSlaQueue } from '../../queues/sla-queue.ts'
import { staffOf, type WebEnv } from '../auth.ts'
import { CsrfField, Page } from '../layout.tsx'

/** The states shown, in this order, with their names. */
const STATES = {
  waiting: '等待',
  prioritized: '排队（优先级）',
  active: '进行中',
  delayed: '延迟',
  paused: '暂停',
  failed: '失败',
  completed: '已完成',
} as const
type ShownState = keyof typeof STATES

/** Failed jobs listed per queue, newest first. */
const FAILED_SHOWN = 10

/** Characters of a failure's text shown; the whole text is in the worker's log. */
const REASON_MAX = 200

/** Failed jobs moved back to waiting per Redis call of a retry. */
const RETRY_BATCH = 1_000

interface InstanceQueue {
  /** What the retry form names it by: `send:<account>`, `fanout`, `sla`. */
  key: string
  label: string
  // Any job type: only counts, ids and failures are read.
  queue: Queue
}

/**
 * The queues this instance has, opened for one request: the send queues are the messenger's (not
 * closed here); the fan-out and SLA queues are opened for the request and closed by `done`.
 */
async function openQueues(
  services: Services,
): Promise<{ queues: InstanceQueue[]; done: () => Promise<void> }> {
  const opts = { connection: services.connection, prefix: services.queuePrefix }
  const fanout = createFanoutQueue(opts)
  const sla = createSlaQueue(opts)
  const accounts = await listBotAccounts(services.db)
  return {
    queues: [
      ...accounts.map((a) => ({
        key: `send:${a.name}`,
        label: `发送 · ${a.name}`,
        queue: services.messenger.queueOf(a.name),
      })),
      { key: 'fanout', label: '通知分发', queue: fanout as unknown as Queue },
      { key: 'sla', label: '工单时限', queue: sla as unknown as Queue },
    ],
    done: async () => {
      await Promise.all([fanout.close(), sla.close()])
    },
  }
}

interface FailedJob {
  id: string
  name: string
  attempts: number
  at: Date | undefined
  /** The category (failureReason) and the masked, cut text. */
  category: string
  reason: string
}

async function latestFailed(queue: Queue): Promise<FailedJob[]> {
  const jobs = await queue.getFailed(0, FAILED_SHOWN - 1)
  return jobs.map((job) => {
    const text = job.failedReason ?? ''
    return {
      id: job.id ?? '',
      name: job.name,
      attempts: job.attemptsMade,
      at: job.finishedOn ? new Date(job.finishedOn) : undefined,
      category: failureReason(new Error(text)),
      reason: maskPersonalData(text).slice(0, REASON_MAX),
    }
  })
}

export function queueRoutes(services: Services) {
  const app = new Hono<WebEnv>()

  const page = async (c: Context<WebEnv>, message?: string) => {
    const { queues, done } = await openQueues(services)
    try {
      const rows = await Promise.all(
        queues.map(async (q) => ({
          ...q,
          counts: await q.queue.getJobCounts(...(Object.keys(STATES) as ShownState[])),
          failed: await latestFailed(q.queue),
        })),
      )
      const staff = staffOf(c)
      return c.html(
        <Page title="任务队列" staff={staff}>
          {message && <p class="card ok">{message}</p>}
          <table class="wide" id="queues">
            <thead>
              <tr>
                <th>队列</th>
                {Object.values(STATES).map((name) => (
                  <th class="num">{name}</th>
                ))}
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((q) => (
                <tr data-queue={q.key}>
                  <td>{q.label}</td>
                  {(Object.keys(STATES) as ShownState[]).map((state) => (
                    <td class="num" data-state={state}>
                      {q.counts[state] ?? 0}
                    </td>
                  ))}
                  <td>
                    {(q.counts.failed ?? 0) > 0 && (
                      <form method="post" action="/admin/queues/retry" class="inline">
                        <CsrfField staff={staff} />
                        <input type="hidden" name="queue" value={q.key} />
                        <button type="submit" aria-label={`重试 ${q.label} 的失败任务`}>
                          重试失败任务
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows
            .filter((q) => q.failed.length > 0)
            .map((q) => (
              <>
                <h2>{q.label}：最近失败的任务</h2>
                <table class="wide" data-failed={q.key}>
                  <tbody>
                    {q.failed.map((j) => (
                      <tr>
                        <td>{j.id}</td>
                        <td>{j.name}</td>
                        <td>{j.at ? formatLocalTime(j.at, services.timezone) : ''}</td>
                        <td class="num">{j.attempts} 次</td>
                        <td>{j.category}</td>
                        <td class="muted">{j.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            ))}
        </Page>,
      )
    } finally {
      await done()
    }
  }

  app.get('/queues', (c) => page(c))

  // Failed jobs back to waiting. Safe for every queue here: a notice's send checks its delivery
  // row before saying (one already sent or given up is skipped), the fan-out and SLA jobs are
  // idempotent.
  app.post('/queues/retry', async (c) => {
    const body = await c.req.parseBody()
    const key = typeof body.queue === 'string' ? body.queue.slice(0, 300) : ''
    const { queues, done } = await openQueues(services)
    let retried: { label: string; failed: number } | undefined
    try {
      const found = queues.find((q) => q.key === key)
      if (found) {
        const failed = await found.queue.getFailedCount()
        await found.queue.retryJobs({ state: 'failed', count: RETRY_BATCH })
        retried = { label: found.label, failed }
      }
    } finally {
      await done()
    }
    if (!retried) return c.text('没有这个队列', 404)
    const { member } = staffOf(c)
    await recordAudit(services.db, {
      memberId: member.id,
      actorRef: member.wechatId,
      action: 'queue.retry',
      allowed: true,
      detail: { queue: key, failed: retried.failed, via: 'web' },
    })
    services.log.info({ queue: key, failed: retried.failed, actor: member.wechatId }, 'retried')
    return page(c, `已将「${retried.label}」的 ${retried.failed} 个失败任务重新排队。`)
  })

  return app
}
