import { limits } from '../core/limits.ts'
import { formatLocalTime } from '../core/local-time.ts'
import type { Services } from '../core/services.ts'
import { codePointLength, stripInvisible } from '../core/text.ts'
import { subtreeGroups, unitById } from '../network/queries.ts'
import type { GroupKind, GroupWithUnit, Tier, Unit } from '../network/types.ts'
import { type AudiencePlan, planAudience } from './audience.ts'
import { mayAuthor, memberIdOf, type NoticeActor } from './authorize.ts'
import { reachedGroups } from './delivery-store.ts'
import { eventTimeIn } from './event-time.ts'
import {
  attachmentRows,
  attachmentSummary,
  type NoticeAttachment,
  refuseAttachments,
} from './notice-attachments.ts'
import { auditNotice, type NoticeAuditScene } from './notice-audit.ts'
import { noticeCode } from './notice-code.ts'
import { findNotice, insertNoticeWithDeliveries, type Notice } from './notice-store.ts'
import { fillTemplate } from './notice-templates.ts'
import { resolveScope } from './scope.ts'
import { noticeTexts, preview, templateTexts } from './templates.ts'

/** Longest notice body in code points; the chat grammar refuses longer ones with the same cap. */
const NOTICE_TEXT_MAX = limits.noticeText

/** A scheduled time this far in the past is a typo, not "now". */
const PAST_GRACE_MS = 60_000

export interface CreateNoticeInput {
  actor: NoticeActor
  /** A unit name or path; the actor's own unit when absent. */
  scope?: string | undefined
  /** The unit of the room the command was typed in: the default scope prefers it. */
  herePath?: string | undefined
  /** The group it was typed in, for the audit line. */
  groupId?: number | undefined
  tiers?: readonly Tier[] | undefined
  kinds?: readonly GroupKind[] | undefined
  text: string
  /** Where progress and the final summary are said; none for the CLI. */
  replyTo?: { account: string; roomId: string } | undefined
  scheduledAt?: Date | undefined
  /** A scheduler's `<schedule>:<tick ISO>`: a second create with the key returns the first. */
  dedupeKey?: string | undefined
  /**
   * 更正 N12: the id of a sent notice this one corrects. Its audience is then exactly the groups
   * that received that notice, its scope that notice's (scope, tiers and kinds are ignored).
   */
  corrects?: number | undefined
  /**
   * When the event it announces starts (reminders go out before it). Undefined: read from a
   * "活动时间 …" line of the text; null: none (a reminder's own text names the time).
   */
  eventAt?: Date | null | undefined
  /** Pictures, files (already in the content store) and article cards said after the text. */
  attachments?: readonly NoticeAttachment[] | undefined
}

type CreateNoticeRefusal =
  | 'emptyText'
  | 'tooLong'
  | 'unknownScope'
  | 'ambiguousScope'
  | 'noDefaultScope'
  | 'refused'
  | 'noGroups'
  | 'scheduledInPast'
  | 'unknownNotice'
  | 'notSent'
  | 'eventInPast'
  | 'template'
  | 'attachments'

export type CreateNoticeResult =
  | {
      ok: true
      notice: Notice
      scope: Unit
      plan: AudiencePlan
      created: boolean
      /** "图片 1、链接 1", '' without attachments: for the preview. */
      attachments: string
    }
  | { ok: false; reason: CreateNoticeRefusal; message: string }

const refuse = (
  reason: CreateNoticeRefusal,
  message: string,
): Extract<CreateNoticeResult, { ok: false }> => ({
  ok: false,
  reason,
  message,
})

/**
 * The one way a notice is written, from chat, the CLI, a schedule or code: check the text, resolve
 * and authorize the scope, resolve the audience, then write the notice (a draft) and its delivery
 * rows in one transaction. Nothing is sent until the notice is confirmed.
 */
export async function createNotice(
  services: Services,
  input: CreateNoticeInput,
): Promise<CreateNoticeResult> {
  const { db } = services
  // Every path a notice's text can take passes here, so the control characters go here.
  const written = stripInvisible(input.text).trim()
  if (written === '') return refuse('emptyText', noticeTexts.emptyText)
  const template = fillTemplate(written)
  switch (template.kind) {
    case 'list':
      return refuse('template', templateTexts.list())
    case 'unknown':
      return refuse('template', templateTexts.unknown(template.name))
    case 'missing':
      return refuse('template', templateTexts.missing(template.name, template.fields))
  }
  const text = template.kind === 'filled' ? template.text : written
  const length = codePointLength(text)
  if (length > NOTICE_TEXT_MAX) {
    return refuse('tooLong', noticeTexts.tooLong(length, NOTICE_TEXT_MAX))
  }
  if (input.scheduledAt && input.scheduledAt.getTime() < services.now().getTime() - PAST_GRACE_MS) {
    return refuse(
      'scheduledInPast',
      noticeTexts.scheduledInPast(formatLocalTime(input.scheduledAt, services.timezone)),
    )
  }

  const eventAt =
    input.eventAt === undefined
      ? eventTimeIn(text, services.now(), services.timezone)
      : (input.eventAt ?? undefined)
  if (input.eventAt && input.eventAt.getTime() < services.now().getTime()) {
    return refuse(
      'eventInPast',
      noticeTexts.eventInPast(formatLocalTime(input.eventAt, services.timezone)),
    )
  }
  const attachments = input.attachments ?? []
  const refusal = refuseAttachments(services, attachments)
  if (refusal) return refuse('attachments', refusal)
  const target = await targetOf(services, input)
  if (!target.ok) return target
  const { scope, tiers, kinds, audience } = target
  const audit: NoticeAuditScene = {
    actor: input.actor,
    action: 'notice.create',
    unitId: scope.id,
    groupId: input.groupId,
  }
  const corrects = input.corrects === undefined ? undefined : noticeCode(input.corrects)
  if (!mayAuthor(input.actor, scope.path)) {
    await auditNotice(db, audit, false, {
      scope: scope.path,
      text: text.slice(0, 200),
      ...(corrects && { corrects }),
    })
    services.log.warn({ actor: input.actor.ref, scope: scope.path }, 'notice refused: scope')
    return refuse('refused', noticeTexts.scopeRefused(scope.path))
  }
  const plan = planAudience(audience)
  if (plan.total === 0) {
    return refuse(
      'noGroups',
      corrects ? noticeTexts.correctNothingSent(corrects) : noticeTexts.noGroups(scope.path, tiers),
    )
  }

  const { notice, created } = await insertNoticeWithDeliveries(
    db,
    {
      authorMemberId: memberIdOf(input.actor),
      authorRef: input.actor.ref,
      scopeUnitId: scope.id,
      tiers: tiers ?? null,
      kinds: kinds ?? null,
      text: corrects ? noticeTexts.correctionText(corrects, text) : text,
      replyAccount: input.replyTo?.account ?? null,
      replyRoomId: input.replyTo?.roomId ?? null,
      scheduledAt: input.scheduledAt ?? null,
      eventAt: eventAt ?? null,
      dedupeKey: input.dedupeKey ?? null,
    },
    plan,
    undefined,
    (id) => attachmentRows(id, attachments),
  )
  if (created) {
    await auditNotice(db, audit, true, {
      notice: noticeCode(notice.id),
      groups: plan.total,
      ...(tiers && { tiers }),
      ...(kinds && { kinds }),
      ...(input.scheduledAt && { scheduledAt: input.scheduledAt.toISOString() }),
      ...(input.dedupeKey && { dedupeKey: input.dedupeKey }),
      ...(corrects && { corrects }),
      ...(attachments.length > 0 && { attachments: attachments.length }),
    })
    services.log.info(
      {
        notice: noticeCode(notice.id),
        actor: input.actor.ref,
        scope: scope.path,
        groups: plan.total,
      },
      'notice drafted',
    )
  }
  return { ok: true, notice, scope, plan, created, attachments: attachmentSummary(attachments) }
}

type Target =
  | { ok: true; scope: Unit; tiers?: Tier[]; kinds?: GroupKind[]; audience: GroupWithUnit[] }
  | Extract<CreateNoticeResult, { ok: false }>

/**
 * Where a notice goes: the subtree of its scope (narrowed by tiers and kinds), or, for a
 * correction, exactly the groups the corrected notice reached.
 */
async function targetOf(services: Services, input: CreateNoticeInput): Promise<Target> {
  const { db } = services
  if (input.corrects !== undefined) {
    const code = noticeCode(input.corrects)
    const original = await findNotice(db, input.corrects)
    const scope = original && (await unitById(db, original.scopeUnitId))
    if (!original || !scope) return refuse('unknownNotice', noticeTexts.unknownNotice(code))
    if (original.status === 'draft' || original.status === 'cancelled') {
      return refuse('notSent', noticeTexts.correctNotSent(code))
    }
    return { ok: true, scope, audience: await reachedGroups(db, original.id) }
  }
  const resolved = await resolveScope(db, {
    scope: input.scope,
    actor: input.actor,
    herePath: input.herePath,
  })
  switch (resolved.kind) {
    case 'unknown':
      return refuse('unknownScope', noticeTexts.unknownScope(resolved.scope))
    case 'ambiguous':
      return refuse('ambiguousScope', noticeTexts.ambiguousScope(resolved.scope, resolved.paths))
    case 'noDefault':
      return refuse('noDefaultScope', noticeTexts.noDefaultScope)
  }
  const scope = resolved.unit
  const tiers = input.tiers?.length ? [...new Set(input.tiers)].sort((a, b) => a - b) : undefined
  const kinds = input.kinds?.length ? [...new Set(input.kinds)] : undefined
  const audience = await subtreeGroups(db, scope.id, {
    ...(tiers ? { tiers: [...tiers] } : {}),
    ...(kinds ? { kinds: [...kinds] } : {}),
  })
  return { ok: true, scope, ...(tiers && { tiers }), ...(kinds && { kinds }), audience }
}

/** The preview of a freshly drafted notice, for a chat reply or the CLI. */
export function previewOf(
  services: Pick<Services, 'timezone'>,
  result: Extract<CreateNoticeResult, { ok: true }>,
  opts: { chat: boolean },
): string {
  const { notice, plan } = result
  return preview({
    code: noticeCode(notice.id),
    total: plan.total,
    perTier: plan.perTier,
    unreachable: plan.unreachable,
    text: notice.text,
    at: notice.scheduledAt ? formatLocalTime(notice.scheduledAt, services.timezone) : undefined,
    event: notice.eventAt ? formatLocalTime(notice.eventAt, services.timezone) : undefined,
    chat: opts.chat,
    attachments: result.attachments,
  })
}
