/**
 * Compose a notice: the text, a scope picked on the tree (searched by name), tiers and group
 * kinds, with the audience counted per tier as the form changes (htmx), and a picture, a file or an
 * article to go after the text. Posting writes the draft through the same `createNotice` chat's
 * 通知 uses; nothing is sent before it is confirmed.
 */
import type { Context } from 'hono'
import { Hono } from 'hono'
import { planAudience } from '../../broadcasts/audience.ts'
import { AUTHOR_ROLES, mayAuthor } from '../../broadcasts/authorize.ts'
import { createNotice } from '../../broadcasts/create-notice.ts'
import { collectAttachments } from '../../broadcasts/notice-attachments.ts'
import { parseLocalTime } from '../../core/local-time.ts'
import type { Services } from '../../core/services.ts'
import { GROUP_KINDS } from '../../db/schema/network.ts'
import { grantsFor } from '../../network/permissions.ts'
import { findUnitByPath, subtreeGroups, unitsWithin } from '../../network/queries.ts'
import { formatCount, TIER_LABELS } from '../../network/templates.ts'
import { TIERS, type Unit } from '../../network/types.ts'
import { noticeActorOf, type Staff, staffOf, type WebEnv } from '../auth.ts'
import { CsrfField, Page } from '../layout.tsx'
import { type NoticeForm, parseNoticeForm } from './form-input.ts'

const KIND_NAMES = { residents: '居民群', workers: '工作群', staff: '管理群' } as const

/** Units listed in the picker at most; a search narrows further. */
const TREE_LIMIT = 200

function authorPaths(staff: Staff): string[] {
  return grantsFor(staff.member.grants, AUTHOR_ROLES).map((g) => g.unitPath)
}

function Tree(props: { units: Unit[]; picked: string }) {
  if (props.units.length === 0) return <p class="muted">没有找到可发布的单位。</p>
  return (
    <div class="tree">
      {props.units.map((u) => (
        <label class={`tier-${u.tier}`}>
          <input type="radio" name="scope" value={u.path} checked={u.path === props.picked} />{' '}
          {u.name} <span class="muted">{TIER_LABELS[u.tier as 1]}</span>
        </label>
      ))}
    </div>
  )
}

/** Groups per tier the form's choices reach, or why none. */
async function Audience(props: { services: Services; staff: Staff; form: NoticeForm }) {
  const { services, staff, form } = props
  if (form.scope === '') return <p class="muted">请选择发布范围。</p>
  const unit = await findUnitByPath(services.db, form.scope)
  if (!unit) return <p class="error">没有这个单位。</p>
  if (!mayAuthor(noticeActorOf(staff), unit.path)) {
    return <p class="error">你无权向「{unit.path}」发布通知。</p>
  }
  const plan = planAudience(
    await subtreeGroups(services.db, unit.id, {
      ...(form.tiers.length ? { tiers: form.tiers } : {}),
      ...(form.kinds.length ? { kinds: form.kinds } : {}),
    }),
  )
  return (
    <table id="audience-counts">
      <tbody>
        {TIERS.filter((t) => plan.perTier[t] > 0).map((t) => (
          <tr data-tier={t}>
            <th>{TIER_LABELS[t]}</th>
            <td class="num">{formatCount(plan.perTier[t])} 个群</td>
          </tr>
        ))}
        <tr>
          <th>合计</th>
          <td class="num" data-total={plan.total}>
            {formatCount(plan.total)} 个群
          </td>
        </tr>
      </tbody>
    </table>
  )
}

function ComposePage(props: {
  services: Services
  staff: Staff
  units: Unit[]
  form: NoticeForm
  error?: string
}) {
  const { staff, form } = props
  return (
    <Page title="新建通知" staff={staff}>
      {props.error && <p class="error">{props.error}</p>}
      <form
        method="post"
        action="/notices"
        enctype="multipart/form-data"
        hx-get="/notices/audience"
        hx-trigger="change"
        hx-target="#audience"
        hx-swap="innerHTML"
      >
        <CsrfField staff={staff} />
        <fieldset>
          <legend>发布范围</legend>
          <input
            type="search"
            name="q"
            placeholder="按名称查找单位，如 科园社区"
            hx-get="/notices/units"
            hx-trigger="input changed delay:300ms, search"
            hx-target="#tree"
            hx-include="this"
          />
          <div id="tree">
            <Tree units={props.units} picked={form.scope} />
          </div>
        </fieldset>
        <fieldset>
          <legend>层级（不选为全部）</legend>
          {TIERS.map((t) => (
            <label class="choice">
              <input
                type="checkbox"
                name="tiers"
                value={String(t)}
                checked={form.tiers.includes(t)}
              />
              {TIER_LABELS[t]}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>群类型（不选为全部）</legend>
          {GROUP_KINDS.map((k) => (
            <label class="choice">
              <input type="checkbox" name="kinds" value={k} checked={form.kinds.includes(k)} />
              {KIND_NAMES[k]}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>将发送到</legend>
          <div id="audience">
            <Audience services={props.services} staff={staff} form={form} />
          </div>
        </fieldset>
        <label>
          定时发布（不填为确认后立即发布）
          <input type="datetime-local" name="at" value={form.at} />
        </label>
        <label>
          通知正文
          <textarea name="text" maxlength={2000}>
            {form.text}
          </textarea>
        </label>
        <fieldset>
          <legend>附件（可选，每个群在正文后收到）</legend>
          <label>
            图片 <input type="file" name="image" accept="image/*" />
          </label>
          <label>
            文件 <input type="file" name="file" />
          </label>
          <label>
            文章链接 <input type="url" name="link" value={form.link} placeholder="https://" />
          </label>
          <label>
            链接标题 <input type="text" name="linkTitle" value={form.linkTitle} maxlength={100} />
          </label>
        </fieldset>
        <p>
          <button type="submit">生成预览</button>
        </p>
      </form>
    </Page>
  )
}

/** The form's picture, file and article (collectAttachments, as the CLI's flags). */
async function attachmentsOf(services: Services, form: NoticeForm) {
  const files = await Promise.all(
    form.uploads.map(async ({ kind, file }) => ({
      kind,
      name: file.name,
      data: Buffer.from(await file.arrayBuffer()),
    })),
  )
  return collectAttachments(services, {
    files,
    ...(form.link !== '' && { link: { url: form.link, title: form.linkTitle || undefined } }),
  })
}

export function composeRoutes(services: Services) {
  const app = new Hono<WebEnv>()
  const unitsFor = (staff: Staff, name?: string) =>
    unitsWithin(services.db, authorPaths(staff), {
      ...(name ? { name } : {}),
      maxTier: 3,
      limit: TREE_LIMIT,
    })
  const compose = async (
    c: Context<WebEnv>,
    form: NoticeForm,
    error?: { text: string; status: 400 | 403 },
  ) => {
    const staff = staffOf(c)
    const page = (
      <ComposePage
        services={services}
        staff={staff}
        units={await unitsFor(staff)}
        form={form}
        {...(error ? { error: error.text } : {})}
      />
    )
    return c.html(page, error?.status ?? 200)
  }

  app.get('/new', (c) => compose(c, parseNoticeForm(c.req.queries())))

  app.get('/units', async (c) => {
    const q = (c.req.query('q') ?? '').slice(0, 50).trim()
    return c.html(<Tree units={await unitsFor(staffOf(c), q)} picked="" />)
  })

  app.get('/audience', (c) =>
    c.html(
      <Audience services={services} staff={staffOf(c)} form={parseNoticeForm(c.req.queries())} />,
    ),
  )

  app.post('/', async (c) => {
    const form = parseNoticeForm(await c.req.parseBody({ all: true }))
    if (form.scope === '') return compose(c, form, { text: '请选择发布范围。', status: 400 })
    const scheduledAt = form.at === '' ? undefined : parseLocalTime(form.at, services.timezone)
    if (form.at !== '' && !scheduledAt) {
      return compose(c, form, { text: '定时发布的时间不对，请重新选择。', status: 400 })
    }
    const actor = noticeActorOf(staffOf(c))
    // Files are kept only for a scope the author may send to; createNotice refuses the rest.
    const unit = await findUnitByPath(services.db, form.scope)
    const attachments =
      unit && mayAuthor(actor, unit.path) ? await attachmentsOf(services, form) : []
    if (typeof attachments === 'string') {
      return compose(c, form, { text: `${attachments}（附件需重新选择）`, status: 400 })
    }
    const result = await createNotice(services, {
      actor,
      scope: form.scope,
      tiers: form.tiers,
      kinds: form.kinds,
      text: form.text,
      scheduledAt,
      attachments,
    })
    if (!result.ok) {
      return compose(c, form, {
        text: result.message,
        status: result.reason === 'refused' ? 403 : 400,
      })
    }
    return c.redirect(`/notices/${result.notice.id}`, 303)
  })

  return app
}
