/**
 * Every Chinese line the broadcast side says or prints, in one place for review. Pure functions of
 * plain data, unit-tested without I/O.
 */

import type { RecallState } from '../db/schema/broadcasts.ts'
import { formatCount, TIER_LABELS } from '../network/templates.ts'
import type { Tier, TierCounts } from '../network/types.ts'
import type { Reachability } from './audience.ts'
import { fieldsOf, NOTICE_TEMPLATES } from './notice-templates.ts'
import type { DoubtfulGroup, MissedGroup, NoticeProgress, TierProgress, Totals } from './report.ts'

/** "街道 1、社区 12、网格 180、楼栋 1,011": only the tiers that have groups. */
export function tierBreakdown(perTier: TierCounts): string {
  return ([1, 2, 3, 4, 5] as const)
    .filter((t) => perTier[t] > 0)
    .map((t) => `${TIER_LABELS[t]} ${formatCount(perTier[t])}`)
    .join('、')
}

/** "仅网格、楼栋" for a tier filter, '' for none. */
function tierFilterLabel(tiers: readonly number[] | null | undefined): string {
  if (!tiers?.length) return ''
  return `仅${tiers.map((t) => TIER_LABELS[t as Tier] ?? String(t)).join('、')}`
}

/** The first characters of a notice, one line, for previews and the CLI. */
export function excerpt(text: string, max = 30): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const chars = [...flat]
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : flat
}

export interface PreviewInput {
  code: string
  total: number
  perTier: TierCounts
  unreachable: number
  text: string
  /** Wall-clock time it goes out, when scheduled. */
  at?: string | undefined
  /** Wall-clock time of the event it announces, when it names one. */
  event?: string | undefined
  /** False for the CLI, which confirms with a command rather than a chat reply. */
  chat?: boolean
  /** "图片 1、链接 1": what goes after the text, when anything does. */
  attachments?: string | undefined
}

export function preview(p: PreviewInput): string {
  const skip =
    p.unreachable > 0 ? `（其中 ${formatCount(p.unreachable)} 个群机器人不在群内，将跳过）` : ''
  const when = `${p.at ? `定于 ${p.at} 发布。` : ''}${p.event ? `活动时间 ${p.event}，发布后将在活动前提醒。` : ''}`
  const how =
    p.chat === false
      ? `运行「quanqun notice confirm ${p.code}」发布，「quanqun notice cancel ${p.code}」作废。`
      : `回复「确认 ${p.code}」发布，「取消 ${p.code}」作废。`
  return [
    `通知 ${p.code} 共 ${formatCount(p.total)} 个群：${tierBreakdown(p.perTier)}${skip}。${when}`,
    `内容：${excerpt(p.text)}`,
    ...(p.attachments ? [`附件：${p.attachments}（文字之后依次发出）`] : []),
    how,
  ].join('\n')
}

export const skipReasons: Readonly<Record<Exclude<Reachability, 'ok'> | 'cancelled', string>> = {
  inactive: '机器人已不在群内',
  unbound: '机器人尚未进群（群未绑定）',
  noAccount: '群没有分配机器人账号',
  cancelled: '通知已撤销',
}

/**
 * What a failed delivery's reason category (deliveries.last_error) reads as in 回执. Only
 * categories and skip reasons are ever stored (migration 0006 replaced the error texts stored
 * before with 'unknown'), so what is not a category here is shown as stored.
 */
const failureLabels: Readonly<Record<string, string>> = {
  infrastructure: '系统暂时不可用',
  'room-gone': '群不可用（机器人不在群内或群已解散）',
  refused: '发送被拒绝',
  throttled: '发送过于频繁被限制',
  unknown: '原因不明',
}

/** A group the notice did not reach, in words: 失败 or 跳过, and why. */
export function missedText(m: MissedGroup): { what: string; reason: string } {
  return {
    what: m.status === 'failed' ? '失败' : '跳过',
    reason: (m.reason && failureLabels[m.reason]) ?? m.reason ?? '原因不明',
  }
}

/** What 核验 answers. The official text is quoted back for a near copy: the forward may differ. */
export const verifyTexts = {
  exact: (code: string, issuer: string, day: string) =>
    `✅ 核验通过：这是官方通知 ${code}，${day} 发往${issuer}。`,
  near: (code: string, issuer: string, day: string, text: string) =>
    `✅ 与官方通知 ${code}（${day} 发往${issuer}）基本一致，个别字词不同，请以官方原文为准：\n${excerpt(text, 120)}`,
  notFound:
    '⚠️ 未找到与这段内容相符的官方通知。日期、时间、金额等与原文不同也无法核验通过。请勿轻信转发，如有疑问请询问本群网格员或社区工作人员。',
  empty: '请在「核验」后粘贴要核验的内容，或引用那条消息回复「核验」。',
} as const

export const noticeTexts = {
  emptyText: '通知正文不能为空。',
  tooLong: (length: number, max: number) =>
    `通知正文过长（${formatCount(length)} 字），请控制在 ${formatCount(max)} 字以内。`,
  unknownScope: (scope: string) =>
    `未找到单位「${scope}」，请写单位名称或路径，例如「通知 【九龙坡区/石桥铺街道】 正文」。`,
  ambiguousScope: (scope: string, paths: readonly string[]) =>
    `「${scope}」对应 ${paths.length} 个单位（${paths.slice(0, 3).join('；')}${paths.length > 3 ? '…' : ''}），请写完整路径。`,
  noDefaultScope: '您没有可发布通知的单位，请在正文前写明范围，例如「通知 【石桥铺街道】 正文」。',
  scopeRefused: (path: string) => `抱歉，您没有向「${path}」发布通知的权限。`,
  noGroups: (path: string, tiers: readonly number[] | null | undefined) =>
    `「${path}」下${tiers?.length ? `${tierFilterLabel(tiers)}` : ''}没有可发送的群，未生成通知。`,
  scheduledInPast: (at: string) => `发布时间 ${at} 已过，请写将来的时间。`,
  unknownNotice: (code: string) => `未找到通知 ${code}。`,
  /** A correction's text as the groups read it. */
  correctionText: (code: string, text: string) => `【更正 ${code}】${text}`,
  reminderText: (event: string, text: string) =>
    `【活动提醒】活动将于 ${event} 开始，请准时参加。\n${text}`,
  eventInPast: (at: string) => `活动时间 ${at} 已过，请写将来的时间。`,
  remindersScheduled: (times: readonly string[]) => `活动提醒将于 ${times.join('、')} 发出。`,
  remindersCancelled: (n: number) => `已同时取消 ${n} 条未发出的活动提醒。`,
  cancelledRemindersOnly: (code: string, n: number) =>
    `通知 ${code} 已发布完毕；已取消其 ${n} 条未发出的活动提醒。如需撤回已送达的消息，发送「撤回 ${code}」。`,
  correctNotSent: (code: string) => `通知 ${code} 尚未发布，无需更正：请取消后重新发布。`,
  correctNothingSent: (code: string) => `通知 ${code} 没有送达任何群，无需更正。`,
  notAuthor: (code: string) =>
    `通知 ${code} 不是您发起的，只有发起人或该范围的管理员可以确认或取消。`,
  receiptRefused: (code: string) => `抱歉，您没有查看通知 ${code} 回执的权限。`,
  confirmed: (code: string, total: number) =>
    `通知 ${code} 已确认，开始发布到 ${formatCount(total)} 个群。发送「回执 ${code}」查看进度。`,
  confirmedFor: (code: string, total: number, at: string) =>
    `通知 ${code} 已确认，将于 ${at} 发布到 ${formatCount(total)} 个群。`,
  alreadyConfirmed: (code: string) =>
    `通知 ${code} 已确认过，正在发布，不会重复发送。发送「回执 ${code}」查看进度。`,
  alreadyDone: (code: string) => `通知 ${code} 已发布完毕。发送「回执 ${code}」查看详情。`,
  alreadyCancelled: (code: string) => `通知 ${code} 已作废。`,
  expired: (code: string) => `通知 ${code} 超过 24 小时未确认，已失效，请重新发起。`,
  cancelledDraft: (code: string) => `通知 ${code} 已作废，没有发送到任何群。`,
  cancelledSending: (code: string, sent: number, stopped: number) =>
    `通知 ${code} 已撤销：其余 ${formatCount(stopped)} 个群不再发送；已送达的 ${formatCount(sent)} 个群保留原消息，如需撤回请发送「撤回 ${code}」。`,
  cannotCancelDone: (code: string) =>
    `通知 ${code} 已发布完毕，无法取消。如需撤回已送达的消息，发送「撤回 ${code}」。`,
  resent: (code: string, n: number) =>
    `通知 ${code}：${formatCount(n)} 个发送失败的群已重新排队发送（每个群只重发一次）。发送「回执 ${code}」查看进度。`,
  nothingToResend: (code: string) => `通知 ${code} 没有发送失败的群，无需重发。`,
  alreadyResent: (code: string, n: number) =>
    `通知 ${code} 的 ${formatCount(n)} 个失败群已重发过一次，不再重发。发送「回执 ${code}」查看详情。`,
  cannotResend: (code: string) => `通知 ${code} 尚未发布或已撤销，无法重发。`,
  approvalRequested: (code: string) =>
    `通知 ${code} 需要双人审核：已记录您的确认，请另一位有权发布的同事发送「确认 ${code}」（或在控制台审核）后发布。`,
  awaitingApproval: (code: string) => `通知 ${code} 正在等待另一位同事审核，审核通过后发布。`,
  approvalNotRequested: (code: string) => `通知 ${code} 需要发起人先确认，再由另一位同事审核。`,
} as const

function countsLine(t: Totals): string {
  const parts = [`送达 ${formatCount(t.sent)}`]
  if (t.pending > 0) parts.push(`待发 ${formatCount(t.pending)}`)
  if (t.failed > 0) parts.push(`失败 ${formatCount(t.failed)}`)
  if (t.skipped > 0) parts.push(`跳过 ${formatCount(t.skipped)}`)
  return `${parts.join('，')} / 共 ${formatCount(t.total)}`
}

/** Said to the author as each tier completes, when the notice spans several tiers. */
export function tierDone(code: string, t: TierProgress): string {
  return `通知 ${code} 进度：${TIER_LABELS[t.tier]}级 ${formatCount(t.total)} 个群已发完（${countsLine(t)}）。`
}

/** Said to the author once, when nothing is left to send. */
export function finished(code: string, t: Totals): string {
  const parts = [`送达 ${formatCount(t.sent)}`, `失败 ${formatCount(t.failed)}`]
  if (t.skipped > 0) parts.push(`跳过 ${formatCount(t.skipped)}`)
  const more = t.failed + t.skipped > 0 ? `发送「回执 ${code}」查看未送达的群。` : ''
  return `通知 ${code} 发布完毕：共 ${formatCount(t.total)} 个群，${parts.join('，')}。${more}`
}

const statusNames = {
  draft: '待确认',
  confirmed: '发布中',
  paused: '已暂停',
  cancelled: '已撤销',
  done: '已完成',
} as const

export interface ReceiptInput {
  code: string
  status: keyof typeof statusNames
  scopePath: string
  progress: NoticeProgress
  missed: readonly MissedGroup[]
  /** How many missed groups there are in all (the list may be cut). */
  missedTotal: number
  /** Groups that may hold two copies (可能重复), cut like `missed`. */
  doubtful?: readonly DoubtfulGroup[]
  doubtfulTotal?: number
  at?: string | undefined
}

/** 回执 N12 and `quanqun notice status N12`: per tier, then the groups it did not reach. */
export function receipt(r: ReceiptInput): string[] {
  const when = r.at && r.status !== 'done' ? `，定于 ${r.at}` : ''
  const lines = [
    `通知 ${r.code}（${statusNames[r.status]}${when}）范围「${r.scopePath}」：${countsLine(r.progress.totals)}`,
    ...r.progress.tiers.map((t) => `${TIER_LABELS[t.tier]}：${countsLine(t)}`),
  ]
  const doubtful = r.doubtful ?? []
  const doubtfulTotal = r.doubtfulTotal ?? doubtful.length
  if (doubtfulTotal > 0) {
    lines.push(
      `可能重复 ${formatCount(doubtfulTotal)} 个群（平台未确认是否送达，已再发，可能收到两份）：`,
    )
    for (const g of doubtful) {
      lines.push(`· ${g.topic}（${TIER_LABELS[g.tier]}）可能重复 ${formatCount(g.uncertain)} 份`)
    }
    const rest = doubtfulTotal - doubtful.length
    if (rest > 0)
      lines.push(`……另有 ${formatCount(rest)} 个群，完整列表见 quanqun notice status ${r.code}`)
  }
  if (r.missed.length > 0) {
    lines.push('未送达的群：')
    for (const m of r.missed) {
      const { what, reason } = missedText(m)
      lines.push(`· ${m.topic}（${TIER_LABELS[m.tier]}）${what}：${reason}`)
    }
    const rest = r.missedTotal - r.missed.length
    if (rest > 0)
      lines.push(`……另有 ${formatCount(rest)} 个群，完整列表见 quanqun notice status ${r.code}`)
  }
  return lines
}

/** 暂停 / 继续 a notice being sent, and what the author is told when it pauses itself. */
export const pauseTexts = {
  paused: (code: string, sent: number, pending: number) =>
    `通知 ${code} 已暂停：已送达 ${formatCount(sent)} 个群，其余 ${formatCount(pending)} 个群暂不发送。发送「继续 ${code}」恢复发送，「取消 ${code}」不再发送。`,
  alreadyPaused: (code: string) => `通知 ${code} 已处于暂停状态。发送「继续 ${code}」恢复发送。`,
  notSending: (code: string) => `通知 ${code} 不在发送中（未发布、已完成或已撤销），无需暂停。`,
  resumed: (code: string, pending: number) =>
    `通知 ${code} 已继续发送，剩余 ${formatCount(pending)} 个群（已送达的群不会重复发送）。发送「回执 ${code}」查看进度。`,
  notPaused: (code: string) => `通知 ${code} 没有暂停，无需继续。`,
  autoPaused: (code: string, failed: number, attempted: number) =>
    `⚠️ 通知 ${code} 发送失败过多（${formatCount(attempted)} 个群中 ${formatCount(failed)} 个失败），已自动暂停。请检查机器人账号后发送「继续 ${code}」恢复发送，或「取消 ${code}」不再发送。`,
  resumeQueued: '队列暂时不可用：通知已恢复为发送中，后台对账会在队列恢复后补发。',
} as const

/** A notice's pictures, files and article cards. */
export const attachmentTexts = {
  tooLarge: (limit: string) => `附件太大：通知的图片或文件不能超过 ${limit}，请压缩后再发。`,
  tooMany: (max: number) => `一条通知最多带 ${max} 个附件。`,
  badLink: '链接无法识别：请发 http:// 或 https:// 开头的文章链接。',
  noStore: '本机未配置文件存储（DATA_DIR），无法发送图片或文件。',
  held: (n: number) =>
    `已收到 ${n} 个附件。请在 2 分钟内发送「通知 …」，附件将随通知一起发出（先文字，后附件）。`,
  kind: { image: '图片', file: '文件', link: '链接' },
  label: { image: '[图片]', file: '[文件]', link: '[链接]' },
} as const

/** 撤回: a notice stopped and taken back. */
export const recallTexts = {
  jobText: (code: string) => `撤回 ${code}`,
  started: (code: string, stopped: number, asked: number, late: number) =>
    `${[
      `通知 ${code} 已停止发送（${formatCount(stopped)} 个群未发出）`,
      asked > 0 ? `正在撤回已发出的 ${formatCount(asked)} 条消息` : '',
      late > 0 ? `${formatCount(late)} 条已超过撤回时限` : '',
    ]
      .filter(Boolean)
      .join('，')}。`,
  report: (
    code: string,
    counts: readonly { tier: Tier; recall: RecallState | null; n: number }[],
  ): string => {
    if (counts.length === 0) return `撤回 ${code}：没有群收到过这条通知。`
    const lines = ([1, 2, 3, 4, 5] as const).flatMap((tier) => {
      const of = counts.filter((c) => c.tier === tier)
      if (of.length === 0) return []
      const parts = (['recalled', 'too-late', 'failed', null, 'pending'] as const).flatMap(
        (state) => {
          const n = of.filter((c) => c.recall === state).reduce((a, c) => a + c.n, 0)
          return n > 0 ? [`${recallTexts.stateNames[state ?? 'pending']} ${formatCount(n)}`] : []
        },
      )
      return [`${TIER_LABELS[tier]}：${parts.join('、')}`]
    })
    return [`撤回 ${code} 结果（按群计）：`, ...lines].join('\n')
  },
  stateNames: {
    recalled: '已撤回',
    'too-late': '超时无法撤回',
    failed: '撤回失败',
    pending: '撤回中',
  } satisfies Record<RecallState, string>,
}

/** Operator-facing lines of the CLI. */
export const cliTexts = {
  sendUsage:
    '用法：quanqun notice send (--scope <单位路径> | --corrects <通知号>) (--text <正文> | --text-file <文件>) [--image <图片>] [--file <文件>] [--link <文章链接>] [--tiers 4,5] [--kinds residents,workers] [--at "2025-06-01 09:00"] [--event-at "2025-06-03 09:00"] [--yes]',
  codeUsage: (verb: string) => `用法：quanqun notice ${verb} <通知号>，例如 N12`,
  badTiers: (value: string) => `--tiers 应为 1-5 的数字，用逗号分隔，例如 4,5；收到「${value}」`,
  badKinds: (value: string) =>
    `--kinds 应为 residents、workers、staff，用逗号分隔；收到「${value}」`,
  badAt: (flag: string, value: string) =>
    `${flag} 应为时间，例如 "2025-06-01 09:00" 或 2025-06-01T09:00+08:00；收到「${value}」`,
  textAndFile: '--text 和 --text-file 只能选一个',
  recallNoQueue: '队列暂时不可用：撤回需要机器人所在进程执行，请在队列恢复后重试。',
  recallWaiting: (s: number) =>
    `仍有消息在撤回中（已等待 ${s} 秒）。稍后再次运行本命令可查看结果（不会重复撤回）。`,
  queued: '队列暂时不可用：通知已确认，后台对账会在队列恢复后补发。',
  resendQueued: '队列暂时不可用：失败的群已改为待发，后台对账会在队列恢复后补发。',
} as const

/** Recurring notices (schedules as data, see recurring.ts). */
export const recurringTexts = {
  weeklyVisit:
    '【每周走访提醒】本周请各网格员、志愿者完成一次入户走访，重点关注独居老人、困难家庭和行动不便的居民，走访中收集到的需求请在群里「点单」登记。',
  monthEndPlan:
    '【下月活动计划征集】请各实践所、实践站于本月底前报送下月文明实践活动计划（时间、地点、内容、报名方式），汇总后统一发布。',
  quarterlyReview:
    '【季度评议】本季度文明实践工作进入评议阶段：请各站点整理本季度活动和服务记录、群众评价，于下周内完成自评并报送。',
} as const

/** What a 模板 notice is told when it cannot be filled. */
export const templateTexts = {
  list: () =>
    [
      '可用的通知模板：',
      ...NOTICE_TEMPLATES.map((t) => `· ${t.name}（${t.about}）：${fieldsOf(t).join('、')}`),
      '用法：「通知 [范围] 模板 活动预告」，下面每行写一项，例如「活动：社区义诊」「时间：12月20日 上午9点」「地点：科园社区广场」。',
    ].join('\n'),
  unknown: (name: string) =>
    `没有名为「${excerpt(name, 10)}」的模板。发送「通知 模板」查看可用模板。`,
  missing: (name: string, fields: readonly string[]) =>
    `模板「${name}」还缺：${fields.join('、')}。请每行写一项，例如「${fields[0]}：…」。`,
} as const
