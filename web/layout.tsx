import type { Child } from 'hono/jsx'
import type { Staff } from './auth.ts'

const ROLE_NAMES = {
  admin: '管理员',
  propagandist: '宣传员',
  station_staff: '站点人员',
  grid_worker: '网格员',
  volunteer: '志愿者',
} as const

/** One page of the console: phone first, one CSS file and htmx, both served by the app. */
export function Page(props: { title: string; staff?: Staff | undefined; children: Child }) {
  const { staff } = props
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · 圈群`}</title>
        <link rel="stylesheet" href="/assets/console.css" />
        <script src="/assets/htmx.min.js" defer />
        <script src="/assets/progress.js" defer />
      </head>
      <body>
        <header>
          <a class="brand" href="/">
            圈群控制台
          </a>
          {staff && (
            <nav>
              <a href="/notices">通知</a>
              <a href="/orders">工单</a>
              <a href="/rates">三率</a>
              {staff.member.grants.some((g) => g.role === 'admin') && (
                <>
                  <a href="/admin/audit">审计日志</a>
                  <a href="/admin/accounts">机器人账号</a>
                  <a href="/admin/queues">任务队列</a>
                </>
              )}
              <span class="who">
                {staff.member.name}（
                {[...new Set(staff.member.grants.map((g) => ROLE_NAMES[g.role]))].join('、')}）
              </span>
              <form method="post" action="/logout" class="inline">
                <CsrfField staff={staff} />
                <button type="submit" class="link">
                  退出
                </button>
              </form>
            </nav>
          )}
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  )
}

/** The session's CSRF token, posted back by every form. */
export function CsrfField(props: { staff: Staff }) {
  return <input type="hidden" name="_csrf" value={props.staff.session.csrf} />
}
