import { createInterface } from 'node:readline'
import { until } from '../core/until.ts'
import { botAccounts } from '../db/schema/network.ts'
import { createTestRedis } from '../test/support/redis.ts'
import { testServices } from '../test/support/sample-services.ts'
import type { ScratchDatabase } from '../test/support/scratch-db.ts'
import {
  confirmNotices,
  districtRoots,
  draftNotices,
  noticeText,
  sentDeliveries,
} from './district.ts'
import { spawnChild } from './support.ts'

/** How long the bot processes may take to start and bind their rooms, together. */
const START_MS = 15 * 60_000

/** How often the bench counts the rows sent: a round's end is read up to this late (~1 %). */
const POLL_MS = 200

export interface ProcessesFanout {
  processes: number
  accounts: number
  groups: number
  /** ms from the first confirm to every delivery row sent, per measured round. */
  roundsMs: number[]
}

/**
 * A city as it is meant to run: one bot process per district (its accounts, their rooms, send
 * workers and the broadcast workers), all on one PostgreSQL and one Redis, with notices to every
 * district root confirmed together from outside them (as the console or the CLI does) and timed
 * until every delivery row is `sent` (each is written once its room has been said to). A warm-up
 * round first, unmeasured.
 */
export async function fanoutOverProcesses(
  city: ScratchDatabase,
  rounds: number,
): Promise<ProcessesFanout> {
  const redis = await createTestRedis()
  const services = testServices(city.db, redis.connection, redis.prefix)
  // Generated accounts are named bot-<district code>-NN (fixtures/generate-district.ts).
  const names = (await city.db.select({ name: botAccounts.name }).from(botAccounts)).map(
    (r) => r.name,
  )
  const districts = [...new Set(names.map((n) => /^bot-[a-z]+-/.exec(n)?.[0] ?? n))]
  const children = districts.map((accounts) =>
    spawnChild(
      './city-bots-child.ts',
      [],
      { BENCH_DATABASE_URL: city.url, BENCH_PREFIX: redis.prefix, BENCH_ACCOUNTS: accounts },
      'pipe',
    ),
  )
  try {
    await Promise.all(children.map((child) => readyOf(child.stdout!, START_MS)))
    const roots = await districtRoots(city.db)
    const round = async (label: string) => {
      const { ids, groups } = await draftNotices(services, roots, noticeText(label))
      const t0 = performance.now()
      await confirmNotices(services, ids)
      // Counting 111,810 rows takes tens of ms: asked every 10 ms, it took a core from the fleet.
      await until(async () => (await sentDeliveries(city.db, ids)) === groups, 600_000, POLL_MS)
      return { ms: performance.now() - t0, groups }
    }
    await round('预热')
    const measured: number[] = []
    let groups = 0
    for (let i = 0; i < rounds; i++) {
      const r = await round(`第${i + 1}轮`)
      measured.push(r.ms)
      groups = r.groups
      process.stderr.write(
        `  city over ${children.length} processes, round ${i + 1}: ${(r.ms / 1000).toFixed(1)} s, ${r.groups} groups\n`,
      )
    }
    return { processes: children.length, accounts: names.length, groups, roundsMs: measured }
  } finally {
    for (const child of children) child.stdin?.end()
    await Promise.all(
      children.map((child) =>
        child.exitCode === null ? new Promise((resolve) => child.on('exit', resolve)) : undefined,
      ),
    )
    await services.messenger.close()
    await redis.close()
  }
}

/** Resolves on the child's `{"ready":true}` line; rejects if it exits or takes too long first. */
function readyOf(stdout: NodeJS.ReadableStream, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bot process not ready in time')), ms)
    const lines = createInterface({ input: stdout })
    lines.on('line', (line) => {
      if (!line.includes('"ready":true')) return
      clearTimeout(timer)
      resolve()
    })
    lines.on('close', () => {
      clearTimeout(timer)
      reject(new Error('bot process ended before it was ready'))
    })
  })
}
