import { randomBytes } from 'node:crypto'
import { and, asc, count, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm'
import { botWiring } from '../app/bot-wiring.ts'
import { startBots } from '../bot/bot-fleet.ts'
import type { MockNetwork } from '../bot/mock-network.ts'
import { MOCK_PUPPET } from '../bot/puppet.ts'
import { confirmNotice } from '../broadcasts/confirm-notice.ts'
import { createNotice } from '../broadcasts/create-notice.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { deliveries } from '../db/schema/broadcasts.ts'
import { botAccounts, groups, units } from '../db/schema/network.ts'
import { generateCity, generateDistrictCsv } from '../fixtures/generate-district.ts'
import { importNetwork } from '../network/import.ts'
import type { PacingRules } from '../queues/pacing.ts'
import type { AroundSend } from '../queues/send-hooks.ts'
import { createScratchDatabase, type ScratchDatabase } from '../test/support/scratch-db.ts'

/** Pacing off, for the fan-out benchmarks only: no cap that binds, no gaps, no jitter. */
const UNPACED: PacingRules & { cooldownMs: number } = {
  perMinute: 1_000_000_000,
  minGapMs: 0,
  jitterMs: 0,
  roomGapMs: 0,
  cooldownMs: 1_000,
}

/**
 * quanqun's bots on every account of `network`, pacing off, as the fan-out benchmarks run them:
 * the product's handlers, and its send hooks unless the caller brings others (a stopwatch).
 */
export function unpacedBots(
  services: Services,
  network: MockNetwork,
  aroundSend?: AroundSend,
): ReturnType<typeof startBots> {
  const wiring = botWiring(services)
  return startBots({
    services,
    puppetName: MOCK_PUPPET,
    pacing: UNPACED,
    accounts: network.accounts.map((a) => ({ name: a.name, wechaty: a.wechaty })),
    handlers: wiring.handlers,
    aroundSend: aroundSend ?? wiring.aroundSend,
  })
}

/** A scratch database holding the generated Jiulongpo-sized district (11,181 groups, 22 accounts). */
export function generatedDistrict(): Promise<ScratchDatabase> {
  return imported(generateDistrictCsv())
}

/** A scratch database holding a generated city of `districts` such districts (10: ~110,000 groups). */
export function generatedCity(districts: number): Promise<ScratchDatabase> {
  return imported(generateCity({ districts }).csv)
}

async function imported(csv: string): Promise<ScratchDatabase> {
  const db = await createScratchDatabase({ prefix: 'quanqun_bench', max: 10 })
  try {
    const result = await importNetwork(db.db, new TextEncoder().encode(csv))
    if (!result.ok) throw new Error(`generated network did not import: ${result.errors[0]?.reason}`)
    return db
  } catch (error) {
    await db.close()
    throw error
  }
}

/**
 * Records every mock room's id on its group in one statement, before the bots start: a restarted
 * bot on a real puppet finds its rooms under the ids it knew, so its room sync takes the short
 * path (two queries a room instead of four). Returns a check that is true once every bot has
 * synced (each sync touches its groups' `updated_at`), for the caller to wait on.
 */
export async function bindMockRooms(db: Db, network: MockNetwork): Promise<() => Promise<boolean>> {
  const rooms = network.accounts.flatMap((a) =>
    network.roomsOf(a.name).map((r) => ({ topic: r.payload.topic, id: r.id })),
  )
  const [clock] = await db
    .select({ now: sql<string>`now()::text` })
    .from(sql`(values (1)) as one(x)`)
  const boundAt = new Date(clock!.now)
  await db
    .update(groups)
    .set({ roomId: sql`r.id` })
    .from(sql`json_to_recordset(${JSON.stringify(rooms)}::json) as r(topic text, id text)`)
    .where(sql`${groups.topic} = r.topic`)
  // Only this network's accounts' groups: other bot processes bind theirs on their own clock.
  const names = network.accounts.map((a) => a.name)
  return async () => {
    const [left] = await db
      .select({ n: count() })
      .from(groups)
      .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
      .where(
        and(
          isNotNull(groups.roomId),
          lt(groups.updatedAt, boundAt),
          inArray(botAccounts.name, names),
        ),
      )
    return Number(left?.n ?? 0) === 0
  }
}

/** How many of the notices' deliveries are `sent`: a fan-out is done when all of them are. */
export async function sentDeliveries(db: Db, noticeIds: number[]): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(deliveries)
    .where(and(inArray(deliveries.noticeId, noticeIds), eq(deliveries.status, 'sent')))
  return Number(row?.n ?? 0)
}

/** Who the fan-out benchmarks send as: an operator, authorized for every scope. */
const OPERATOR = { kind: 'operator', ref: 'bench' } as const

/** Every district root's path (one in the district, ten in a city), in import order. */
export async function districtRoots(db: Db): Promise<string[]> {
  const rows = await db
    .select({ path: units.path })
    .from(units)
    .where(eq(units.tier, 1))
    .orderBy(asc(units.id))
  return rows.map((u) => u.path)
}

/** A district notice's text, made unique by a random tail so each round's says can be told apart. */
export const noticeText = (label: string) =>
  `【区级通知】${label}：本周六上午九点，各小区开展环境卫生大扫除，请居民朋友积极参与。${randomBytes(3).toString('hex')}`

/** A drafted notice of `text` to each of `scopes`: their ids and how many groups they reach. */
export async function draftNotices(
  services: Services,
  scopes: readonly string[],
  text: string,
): Promise<{ ids: number[]; groups: number }> {
  const ids: number[] = []
  let groups = 0
  for (const scope of scopes) {
    const created = await createNotice(services, { actor: OPERATOR, scope, text })
    if (!created.ok) throw new Error(`notice refused: ${created.message}`)
    ids.push(created.notice.id)
    groups += created.plan.total
  }
  return { ids, groups }
}

/** Confirms the drafted notices together, as several operators at once would. */
export async function confirmNotices(services: Services, ids: readonly number[]): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      const confirmed = await confirmNotice(services, { id, actor: OPERATOR })
      if (confirmed.outcome !== 'confirmed') throw new Error(`confirm: ${confirmed.message}`)
    }),
  )
}
