import { eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { botAccounts } from '../db/schema/network.ts'

export type BotAccountState = 'offline' | 'online' | 'cooling' | 'banned'

/** The account row for `name`, created on first start of an account the import did not list. */
export async function ensureBotAccount(db: Db, name: string, puppet: string) {
  await db.insert(botAccounts).values({ name, puppet }).onConflictDoNothing()
  const [row] = await db.select().from(botAccounts).where(eq(botAccounts.name, name))
  if (!row) throw new Error(`bot account ${name} vanished`)
  return row
}

/** The accounts by name; only those named in `names` when given and not empty. */
export async function listBotAccounts(db: Db, names?: readonly string[]) {
  const query = db.select().from(botAccounts)
  return (names?.length ? query.where(inArray(botAccounts.name, [...names])) : query).orderBy(
    botAccounts.name,
  )
}

export async function setBotAccountState(
  db: Db,
  id: number,
  state: BotAccountState,
  extra: { selfId?: string; coolingUntil?: Date | null; lastError?: string | null } = {},
): Promise<void> {
  await db
    .update(botAccounts)
    .set({ state, ...extra, updatedAt: sql`now()` })
    .where(eq(botAccounts.id, id))
}
