import type { Role } from '../db/schema/network.ts'
import { findCoveringGrant, grantsFor, isWithin, type RoleGrant } from '../network/permissions.ts'
import type { KnownMember } from '../network/roles.ts'

/**
 * Who acts on a notice. A chat member is held to their role grants; an operator (`cli:<os user>`,
 * `schedule:<name>`) already holds the database and the configuration, so is trusted, and audited
 * by its ref. Making operator-ness explicit means a chat path that forgets the member is refused,
 * never promoted.
 */
export type NoticeActor =
  | { kind: 'member'; ref: string; member: KnownMember | undefined }
  | { kind: 'operator'; ref: string }

/** Roles that may push notices down their subtree. */
export const AUTHOR_ROLES: readonly Role[] = ['propagandist', 'admin']

export function memberIdOf(actor: NoticeActor): number | null {
  return actor.kind === 'member' ? (actor.member?.id ?? null) : null
}

/** The grant that lets `actor` author a notice for the unit at `scopePath`, if any. */
export function mayAuthor(actor: NoticeActor, scopePath: string): boolean {
  if (actor.kind === 'operator') return true
  return findCoveringGrant(actor.member?.grants ?? [], AUTHOR_ROLES, scopePath) !== undefined
}

/**
 * The scope when none is written: the author's narrowest propagandist or admin unit, preferring
 * one that covers the room the command was typed in (a township propagandist typing in their
 * township's staff group means that township).
 */
export function defaultScope(
  grants: readonly RoleGrant[],
  herePath: string | undefined,
): RoleGrant | undefined {
  const candidates = grantsFor(grants, AUTHOR_ROLES)
  const here =
    herePath === undefined ? [] : candidates.filter((g) => isWithin(herePath, g.unitPath))
  return here[0] ?? candidates[0]
}

export interface NoticeOwnership {
  authorRef: string
  authorMemberId: number | null
  scopePath: string
}

/** Confirm and cancel: the author, an admin over the scope, or an operator. */
export function mayManage(actor: NoticeActor, notice: NoticeOwnership): boolean {
  if (actor.kind === 'operator') return true
  const member = actor.member
  if (!member) return false
  if (notice.authorMemberId !== null && notice.authorMemberId === member.id) return true
  if (notice.authorRef === actor.ref) return true
  return findCoveringGrant(member.grants, ['admin'], notice.scopePath) !== undefined
}

function isAuthor(actor: NoticeActor, notice: NoticeOwnership): boolean {
  if (actor.kind !== 'member') return false
  const id = actor.member?.id
  return (id !== undefined && notice.authorMemberId === id) || notice.authorRef === actor.ref
}

/**
 * 双人审核: whether a member's 确认 of a notice to this scope only asks for a second person's
 * approval. Scope tiers in `tiers` need it; operators (the CLI, schedules) are trusted as ever.
 */
export function needsApproval(
  tiers: readonly number[] | undefined,
  actor: NoticeActor,
  scopePath: string,
): boolean {
  return actor.kind === 'member' && (tiers ?? []).includes(scopePath.split('/').length)
}

/** Who approves: a member other than the author who may author for the whole scope. */
export function mayApprove(actor: NoticeActor, notice: NoticeOwnership): boolean {
  return actor.kind === 'member' && !isAuthor(actor, notice) && mayAuthor(actor, notice.scopePath)
}

/** The receipt: whoever may manage it, and any propagandist over its whole scope. */
export function mayView(actor: NoticeActor, notice: NoticeOwnership): boolean {
  if (mayManage(actor, notice)) return true
  return actor.kind === 'member' && mayAuthor(actor, notice.scopePath)
}
