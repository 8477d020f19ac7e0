/**
 * The daily digest: every workers or staff group hears the open and overdue orders handled at
 * its unit or below, overdue first. Composition is pure; sending uses one job id per group and
 * day, so a retried digest job says nothing twice.
 */
import { and, eq, isNotNull, or } from 'drizzle-orm'
import type { Services } from '../core/services.ts'
import { groups, units } from '../db/schema/network.ts'
import { isWithin } from '../network/permissions.ts'
import { sendRef } from '../queues/send-hooks.ts'
import { openOrdersWithPaths } from './order-queries.ts'
import { isOverdue } from './sla-time.ts'
import type { OpenStatus } from './state-machine.ts'
import { notices, orderLine, unitLabel } from './templates.ts'

/** The kind of message about a daily digest (by its day), for the send hooks (send-hooks.ts). */
export const DIGEST_REF = 'digest'

export interface DigestGroup {
  groupId: number
  unitPath: string
  unitTier: number
  unitBody: string | null
}

export interface DigestOrder {
  code: string
  categoryName: string
  status: OpenStatus
  text: string
  dueAt: Date | null
  handlingPath: string
}

export interface Digest {
  groupId: number
  text: string
  open: number
  overdue: number
}

// Lines per digest: enough to act on, short enough to read on a phone.
const MAX_LINES = 10

/** One digest per group with at least one open order under it. */
export function composeDigests(
  teamGroups: readonly DigestGroup[],
  open: readonly DigestOrder[],
  now: Date,
): Digest[] {
  const out: Digest[] = []
  for (const g of teamGroups) {
    const mine = open
      .filter((o) => isWithin(o.handlingPath, g.unitPath))
      .map((o) => ({ o, overdue: isOverdue(o.dueAt, now) }))
      .sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.o.code.localeCompare(b.o.code))
    if (mine.length === 0) continue
    const overdue = mine.filter((m) => m.overdue).length
    const lines = mine.slice(0, MAX_LINES).map((m) =>
      orderLine({
        code: m.o.code,
        categoryName: m.o.categoryName,
        status: m.o.status,
        text: m.o.text,
        overdue: m.overdue,
      }),
    )
    const label = unitLabel({ path: g.unitPath, tier: g.unitTier, body: g.unitBody })
    out.push({
      groupId: g.groupId,
      open: mine.length,
      overdue,
      text: notices.digest(label, mine.length, overdue, lines, mine.length - lines.length),
    })
  }
  return out
}

/** The digest job: reads the open orders once, composes, queues one message per group. */
export async function sendDigest(services: Services, day: string): Promise<number> {
  const { db } = services
  const teamGroups = await db
    .select({
      groupId: groups.id,
      unitPath: units.path,
      unitTier: units.tier,
      unitBody: units.body,
    })
    .from(groups)
    .innerJoin(units, eq(units.id, groups.unitId))
    .where(
      and(
        or(eq(groups.kind, 'workers'), eq(groups.kind, 'staff')),
        eq(groups.active, true),
        isNotNull(groups.roomId),
      ),
    )
  const open = await openOrdersWithPaths(db)
  const digests = composeDigests(
    teamGroups,
    open.map((o) => ({ ...o, categoryName: o.categoryName ?? '', status: o.status as OpenStatus })),
    services.now(),
  )
  for (const d of digests) {
    await services.messenger.toGroup(
      d.groupId,
      { text: d.text, kind: 'dispatch', ref: sendRef(DIGEST_REF, day) },
      `digest-${day}-${d.groupId}`,
    )
  }
  services.log.info({ day, groups: digests.length, open: open.length }, 'order digest queued')
  return digests.length
}
