import { and, desc, eq, gt, inArray, isNotNull } from 'drizzle-orm'
import { localDay } from '../core/local-time.ts'
import type { Services } from '../core/services.ts'
import { notices } from '../db/schema/broadcasts.ts'
import { units } from '../db/schema/network.ts'
import { unitChainsOf } from '../network/unit-chains.ts'
import { noticeCode } from './notice-code.ts'
import { matchNotice } from './verify-match.ts'

/** Notices older than this are not offered as the original of a forward. */
const LOOKBACK_DAYS = 365
/** The newest notices compared; a unit's chain sees a few hundred a year. */
const CANDIDATES = 500

export type VerifyResult =
  | { found: false }
  | {
      found: true
      kind: 'exact' | 'near'
      code: string
      /** The unit the notice was sent to, e.g. 石桥铺街道. */
      issuer: string
      /** Local day it was confirmed, YYYY-MM-DD. */
      day: string
      /** The official text, for a near copy to be read against. */
      text: string
    }

/**
 * 核验 in a group of `unitId`: the official notice `claim` copies, among the notices sent to this
 * unit or a unit above it (a notice's scope on the group's chain). Only the content decides: a
 * notice code in the claim is compared like any other characters and proves nothing by itself.
 */
export async function verifyNotice(
  services: Services,
  input: { unitId: number; claim: string },
): Promise<VerifyResult> {
  const chain = await unitChainsOf(services).of(input.unitId)
  if (chain.length === 0) return { found: false }
  const since = new Date(services.now().getTime() - LOOKBACK_DAYS * 86_400_000)
  const rows = await services.db
    .select({
      id: notices.id,
      text: notices.text,
      confirmedAt: notices.confirmedAt,
      issuer: units.name,
    })
    .from(notices)
    .innerJoin(units, eq(units.id, notices.scopeUnitId))
    .where(
      and(
        inArray(
          notices.scopeUnitId,
          chain.map((u) => u.id),
        ),
        // Paused: what went out before the pause is as official as the rest.
        inArray(notices.status, ['confirmed', 'paused', 'done']),
        isNotNull(notices.confirmedAt),
        gt(notices.confirmedAt, since),
      ),
    )
    .orderBy(desc(notices.id))
    .limit(CANDIDATES)
  const match = matchNotice(input.claim, rows)
  const row = match && rows.find((r) => r.id === match.id)
  if (!match || !row) return { found: false }
  return {
    found: true,
    kind: match.kind,
    code: noticeCode(row.id),
    issuer: row.issuer,
    day: localDay(row.confirmedAt!, services.timezone),
    text: row.text,
  }
}
