/**
 * A notice in the console: its preview while a draft (groups per tier, the accounts that will
 * send and how long it will take under current pacing), then its progress per tier, live, and
 * the groups it failed, skipped or may have reached twice. Confirm, cancel, pause, resume,
 * recall and resend call the same domain functions as chat's 确认, 取消, 暂停, 继续, 撤回 and 重发,
 * with the same authorization and audit.
 */
import type { Context } from 'hono'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import {
  AUTHOR_ROLES,
  mayApprove,
  mayManage,
  mayView,
  needsApproval,
} from '../../broadcasts/authorize.ts'
import { cancelNotice, confirmNotice } from '../../broadcasts/confirm-notice.ts'
import { noticeAttachmentsOf } from '../../broadcasts/notice-attachments.ts'
import { auditNotice } from '../../broadcasts/notice-audit.ts'
import { noticeCode } from '../../broadcasts/notice-code.ts'
import {
  deliveriesPerAccount,
  doubtfulGroups,
  findNotice,
  missedGroups,
  type NoticeWithScope,
  noticeProgress,
  visibleNotices,
} from '../../broadcasts/notice-store.ts'
import { pauseNotice, resumeNotice } from '../../broadcasts/pause-notice.ts'
import { recallNotice } from '../../broadcasts/recall-notice.ts'
import type { NoticeProgress } from '../../broadcasts/report.ts'
import { resendFailed } from '../../broadcasts/resend-notice.ts'
import { attachmentTexts, excerpt, missedText } from '../../broadcasts/templates.ts'
import type { PacingConfig } from '../../core/config.ts'
import { formatLocalTime } from '../../core/local-time.ts'
import type { Services } from '../../core/services.ts'
import type { NoticeStatus } from '../../db/schema/broadcasts.ts'
import { grantsFor } from '../../network/permissions.ts'
import { formatCount, TIER_LABELS } from '../../network/templates.ts'
import { noticeActorOf, type Staff, staffOf, type WebEnv } from '../auth.ts'
import { CsrfField, Page } from '../layout.tsx'
import { durationText, estimateMinutes } from './estimate.ts'
import { parseNoticeId } from './form-input.ts'

const STATUS_NAMES = {
  draft: '草稿（未发布）',
  confirmed: '发送中',
  paused: '已暂停',
  cancelled: '已撤销',
  done: '已完成',
} as const

/** How often a notice's live progress is sent while it goes out. */
const PROGRESS_EVERY_MS = 1_000

/** Groups listed as missed or doubtful on the page; the totals are always shown. */
const LIST_LIMIT = 200

function ProgressTable(props: { id: number; progress: NoticeProgress; status: NoticeStatus }) {
  const { progress, status } = props
  const live = status === 'confirmed'
  return (
    <div
      id="progress"
      {...(live ? { 'data-events': `/notices/${props.id}/events` } : {})}
      data-live={live ? 'yes' : 'no'}
      data-status={status}
    >
      {/* In the table, so a pause seen by the live stream (by a colleague, or by itself) shows. */}
      {status === 'paused' && (
        <p class="card" id="paused">
          已暂停：未发出的 {formatCount(progress.totals.pending)}{' '}
          个群暂不发送，继续发送后只发这些群。
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>层级</th>
            <th class="num">群</th>
            <th class="num">已送达</th>
            <th class="num">待发</th>
            <th class="num">失败</th>
            <th class="num">跳过</th>
            <th>进度</th>
          </tr>
        </thead>
        <tbody>
          {[...progress.tiers, { tier: 0 as const, ...progress.totals }].map((t) => (
            <tr data-tier={t.tier}>
              <th>{t.tier === 0 ? '合计' : TIER_LABELS[t.tier]}</th>
              <td class="num">{formatCount(t.total)}</td>
              <td class="num" data-sent={t.sent}>
                {formatCount(t.sent)}
              </td>
              <td class="num">{formatCount(t.pending)}</td>
              <td class="num">{formatCount(t.failed)}</td>
              <td class="num">{formatCount(t.skipped)}</td>
              <td>
                <div class="bar">
                  <span style={`width:${t.total ? Math.round((100 * t.sent) / t.total) : 0}%`} />
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function Action(props: { staff: Staff; id: number; verb: string; label: string; kind?: string }) {
  return (
    <form method="post" action={`/notices/${props.id}/${props.verb}`} class="inline">
      <CsrfField staff={props.staff} />
      <button type="submit" class={props.kind ?? ''}>
        {props.label}
      </button>
    </form>
  )
}

async function NoticeView(props: {
  services: Services
  pacing: PacingConfig
  staff: Staff
  notice: NoticeWithScope
  message?: string | undefined
}) {
  const { services, staff, notice } = props
  const { db } = services
  const code = noticeCode(notice.id)
  const [progress, perAccount, missed, doubtful, attachments] = await Promise.all([
    noticeProgress(db, notice.id),
    deliveriesPerAccount(db, notice.id),
    missedGroups(db, notice.id, LIST_LIMIT),
    doubtfulGroups(db, notice.id, LIST_LIMIT),
    noticeAttachmentsOf(db, notice.id),
  ])
  const actor = noticeActorOf(staff)
  const manage = mayManage(actor, notice)
  const approval = needsApproval(services.noticeApprovalTiers, actor, notice.scopePath)
  const approve = approval && notice.approvalRequestedAt !== null && mayApprove(actor, notice)
  const accounts = perAccount.filter((a) => a.account !== '')
  return (
    <Page title={`通知 ${code}`} staff={staff}>
      {props.message && <p class="card ok">{props.message}</p>}
      <div class="card">
        <p>
          范围：{notice.scopePath} · 状态：
          <strong id="status">{STATUS_NAMES[notice.status]}</strong>
          {notice.scheduledAt &&
            ` · 定于 ${formatLocalTime(notice.scheduledAt, services.timezone)}`}
        </p>
        <p style="white-space:pre-wrap">{notice.text}</p>
        {attachments.length > 0 && (
          <p id="attachments">
            正文后依次发送：
            {attachments.map((a) => `${attachmentTexts.label[a.kind]} ${a.name}`).join('、')}
          </p>
        )}
      </div>
      {notice.status === 'draft' && (
        <div class="card" id="preview">
          <p>
            共{' '}
            <strong data-total={progress.totals.total}>{formatCount(progress.totals.total)}</strong>{' '}
            个群，由 <span data-accounts={accounts.length}>{accounts.length}</span>{' '}
            个机器人账号发送， 预计用时 {durationText(estimateMinutes(perAccount, props.pacing))}。
          </p>
          {approval && (
            <p id="approval">
              {notice.approvalRequestedAt
                ? '双人审核：发起人已确认，等待另一位有权发布的同事审核通过后发布。'
                : '双人审核：发往这一层级的通知，发起人确认后还需另一位同事审核。'}
            </p>
          )}
          <p>
            {approve && (
              <Action staff={staff} id={notice.id} verb="confirm" label="审核通过并发布" />
            )}
            {manage && !approve && !(approval && notice.approvalRequestedAt) && (
              <Action
                staff={staff}
                id={notice.id}
                verb="confirm"
                label={approval ? '确认并提交审核' : '确认发布'}
              />
            )}{' '}
            {manage && (
              <Action staff={staff} id={notice.id} verb="cancel" label="作废" kind="secondary" />
            )}
          </p>
        </div>
      )}
      <h2>各层级进度</h2>
      <ProgressTable id={notice.id} progress={progress} status={notice.status} />
      {(notice.status === 'confirmed' || notice.status === 'paused') && manage && (
        <p>
          {notice.status === 'confirmed' ? (
            <Action staff={staff} id={notice.id} verb="pause" label="暂停发送" />
          ) : (
            <Action staff={staff} id={notice.id} verb="resume" label="继续发送" />
          )}{' '}
          <Action staff={staff} id={notice.id} verb="cancel" label="停止发送" kind="secondary" />
        </p>
      )}
      {(notice.status === 'confirmed' || notice.status === 'done') && manage && (
        <p>
          <Action staff={staff} id={notice.id} verb="recall" label="撤回" kind="secondary" />{' '}
          停止发送，并撤回各群 2 分钟内收到的这条通知。
        </p>
      )}
      {missed.total > 0 && (
        <>
          <h2>未送达的群（{formatCount(missed.total)}）</h2>
          {manage && progress.totals.failed > 0 && notice.status !== 'draft' && (
            <p>
              <Action staff={staff} id={notice.id} verb="resend" label="重发失败的群" />
            </p>
          )}
          <table class="wide">
            <tbody>
              {missed.missed.map((m) => {
                const t = missedText(m)
                return (
                  <tr>
                    <td>{m.topic}</td>
                    <td>{TIER_LABELS[m.tier]}</td>
                    <td>{t.what}</td>
                    <td>{t.reason}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </>
      )}
      {doubtful.total > 0 && (
        <>
          <h2>可能重复收到的群（{formatCount(doubtful.total)}）</h2>
          <table class="wide">
            <tbody>
              {doubtful.doubtful.map((d) => (
                <tr>
                  <td>{d.topic}</td>
                  <td>{TIER_LABELS[d.tier]}</td>
                  <td>多发 {d.uncertain} 次（平台未回报结果后重发）</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Page>
  )
}

function ListPage(props: { staff: Staff; notices: NoticeWithScope[]; canAuthor: boolean }) {
  return (
    <Page title="通知" staff={props.staff}>
      {props.canAuthor && (
        <p>
          <a class="button" href="/notices/new">
            新建通知
          </a>
        </p>
      )}
      {props.notices.length === 0 ? (
        <p class="muted">还没有通知。</p>
      ) : (
        <table class="wide">
          <tbody>
            {props.notices.map((n) => (
              <tr>
                <td>
                  <a href={`/notices/${n.id}`}>{noticeCode(n.id)}</a>
                </td>
                <td>{excerpt(n.text)}</td>
                <td>{n.scopePath}</td>
                <td>{STATUS_NAMES[n.status]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  )
}

export function noticeRoutes(services: Services, pacing: PacingConfig) {
  const app = new Hono<WebEnv>()

  /**
   * The notice behind the URL, if the staff member may see it; a foreign or unknown id is the
   * same 404 (the refusal audited as 回执's), so ids cannot be probed for other townships.
   */
  const visible = async (c: Context<WebEnv>): Promise<NoticeWithScope | undefined> => {
    const id = parseNoticeId(c.req.param('id') ?? '')
    const notice = id === undefined ? undefined : await findNotice(services.db, id)
    if (!notice) return undefined
    const actor = noticeActorOf(staffOf(c))
    if (mayView(actor, notice)) return notice
    await auditNotice(
      services.db,
      { actor, action: 'notice.receipt', unitId: notice.scopeUnitId },
      false,
      { notice: noticeCode(notice.id), via: 'web' },
    )
    return undefined
  }
  const notFound = (c: Context<WebEnv>) =>
    c.html(
      <Page title="没有这条通知" staff={staffOf(c)}>
        <p class="error">没有这条通知，或你无权查看。</p>
      </Page>,
      404,
    )
  const view = async (c: Context<WebEnv>, notice: NoticeWithScope, message?: string) =>
    c.html(
      <NoticeView
        services={services}
        pacing={pacing}
        staff={staffOf(c)}
        notice={notice}
        message={message}
      />,
    )

  app.get('/', async (c) => {
    const { member } = staffOf(c)
    const authorPaths = grantsFor(member.grants, AUTHOR_ROLES).map((g) => g.unitPath)
    const notices = await visibleNotices(services.db, {
      memberId: member.id,
      ref: member.wechatId,
      authorPaths,
    })
    return c.html(
      <ListPage staff={staffOf(c)} notices={notices} canAuthor={authorPaths.length > 0} />,
    )
  })

  app.get('/:id', async (c) => {
    const notice = await visible(c)
    return notice ? view(c, notice) : notFound(c)
  })

  // Progress as server-sent events while the notice goes out: the table again every second,
  // then once more when it is done (or paused, or cancelled), and the stream ends.
  app.get('/:id/events', async (c) => {
    const notice = await visible(c)
    if (!notice) return notFound(c)
    return streamSSE(c, async (stream) => {
      let open = true
      stream.onAbort(() => {
        open = false
      })
      while (open) {
        const [now, progress] = await Promise.all([
          findNotice(services.db, notice.id),
          noticeProgress(services.db, notice.id),
        ])
        const status = now?.status ?? 'cancelled'
        const table = <ProgressTable id={notice.id} progress={progress} status={status} />
        await stream.writeSSE({ event: 'progress', data: await table.toString() })
        if (status !== 'confirmed') break
        await stream.sleep(PROGRESS_EVERY_MS)
      }
    })
  })

  const actions = {
    confirm: confirmNotice,
    cancel: cancelNotice,
    recall: recallNotice,
    resend: resendFailed,
    pause: pauseNotice,
    resume: resumeNotice,
  } as const
  for (const [verb, act] of Object.entries(actions)) {
    app.post(`/:id/${verb}`, async (c) => {
      const notice = await visible(c)
      if (!notice) return notFound(c)
      const result = await act(services, { id: notice.id, actor: noticeActorOf(staffOf(c)) })
      if (result.outcome === 'refused') return c.text(result.message, 403)
      const now = await findNotice(services.db, notice.id)
      return view(c, now ?? notice, result.message)
    })
  }

  return app
}
