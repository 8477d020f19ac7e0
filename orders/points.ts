/**
 * The love bank (爱心银行) in PostgreSQL: accounts, postings and balances. Entries are only ever
 * inserted; a transaction's entries go in with one statement under a deterministic txId, so a
 * retry finds them already there and posts nothing. Balances are sums, never stored.
 */
import { and, asc, eq, sql, sum } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { pointsAccounts, pointsEntries } from '../db/schema/orders.ts'
import type { Tx } from './order-store.ts'
import { checkBalanced, type LedgerTx, reversalOf } from './points-ledger.ts'

const ISSUANCE = 'issuance'

type Q = Db | Tx

/** The system account points are minted from (its balance is minus all points ever earned). */
export async function issuanceAccount(db: Q): Promise<number> {
  await db
    .insert(pointsAccounts)
    .values({ kind: 'system', name: ISSUANCE })
    .onConflictDoNothing({ target: [pointsAccounts.kind, pointsAccounts.name] })
  const [row] = await db
    .select({ id: pointsAccounts.id })
    .from(pointsAccounts)
    .where(and(eq(pointsAccounts.kind, 'system'), eq(pointsAccounts.name, ISSUANCE)))
  return row!.id
}

/** The volunteer's account, opened on first use. */
export async function memberAccount(db: Q, memberId: number): Promise<number> {
  await db
    .insert(pointsAccounts)
    .values({ kind: 'member', memberId, name: `member-${memberId}` })
    .onConflictDoNothing({ target: pointsAccounts.memberId })
  const [row] = await db
    .select({ id: pointsAccounts.id })
    .from(pointsAccounts)
    .where(eq(pointsAccounts.memberId, memberId))
  return row!.id
}

/**
 * Posts a balanced transaction once. Returns false when `txId` was already posted (a retry).
 * Call it inside a transaction: all entries land together or none do.
 */
export async function postTx(
  db: Q,
  tx: LedgerTx,
  orderId?: number | null,
  at?: Date,
): Promise<boolean> {
  checkBalanced(tx)
  const inserted = await db
    .insert(pointsEntries)
    .values(
      tx.postings.map((p) => ({
        txId: tx.txId,
        accountId: p.accountId,
        amount: p.amount,
        orderId: orderId ?? null,
        reason: tx.reason,
        ...(at ? { at } : {}),
      })),
    )
    .onConflictDoNothing({ target: [pointsEntries.txId, pointsEntries.accountId] })
    .returning({ id: pointsEntries.id })
  if (inserted.length === 0) return false
  if (inserted.length !== tx.postings.length) {
    // Only a different transaction reusing the id can get here; throwing rolls this one back.
    throw new Error(`points tx ${tx.txId}: clashes with an earlier posting under the same id`)
  }
  return true
}

/** The entries of one transaction, as postings. */
export async function loadTx(
  db: Q,
  txId: string,
): Promise<(LedgerTx & { orderId: number | null }) | undefined> {
  const rows = await db
    .select()
    .from(pointsEntries)
    .where(eq(pointsEntries.txId, txId))
    .orderBy(asc(pointsEntries.id))
  if (rows.length === 0) return undefined
  return {
    txId,
    reason: rows[0]!.reason,
    orderId: rows[0]!.orderId,
    postings: rows.map((r) => ({ accountId: r.accountId, amount: r.amount })),
  }
}

export type ReverseResult = 'reversed' | 'already' | 'unknown'

/** Undoes a posted transaction with its reversing twin; reversing twice posts once. */
export async function reverseTx(db: Db, txId: string, reason: string): Promise<ReverseResult> {
  return db.transaction(async (t) => {
    const original = await loadTx(t, txId)
    if (!original) return 'unknown'
    const posted = await postTx(t, reversalOf(original, reason), original.orderId)
    return posted ? 'reversed' : 'already'
  })
}

export async function accountBalance(db: Q, accountId: number): Promise<number> {
  const [row] = await db
    .select({ total: sum(pointsEntries.amount) })
    .from(pointsEntries)
    .where(eq(pointsEntries.accountId, accountId))
  return Number(row?.total ?? 0)
}

/** A member's balance; 0 for a member without an account yet. */
export async function memberBalance(db: Q, memberId: number): Promise<number> {
  const [row] = await db
    .select({ total: sum(pointsEntries.amount) })
    .from(pointsEntries)
    .innerJoin(pointsAccounts, eq(pointsAccounts.id, pointsEntries.accountId))
    .where(eq(pointsAccounts.memberId, memberId))
  return Number(row?.total ?? 0)
}

/** The sum of every entry: 0 for a sound ledger. */
export async function ledgerTotal(db: Q): Promise<number> {
  const [row] = await db.select({ total: sum(pointsEntries.amount) }).from(pointsEntries)
  return Number(row?.total ?? 0)
}

/** Transactions whose entries do not sum to zero: none, ever (a check for audits and tests). */
export async function unbalancedTxIds(db: Q): Promise<string[]> {
  const rows = await db
    .select({ txId: pointsEntries.txId })
    .from(pointsEntries)
    .groupBy(pointsEntries.txId)
    .having(sql`sum(${pointsEntries.amount}) <> 0`)
  return rows.map((r) => r.txId)
}

export interface StatementLine {
  txId: string
  amount: number
  reason: string
  at: Date
}

/** A member's entries, newest first (for `points balance`). */
export async function memberStatement(
  db: Q,
  memberId: number,
  limit = 10,
): Promise<StatementLine[]> {
  return db
    .select({
      txId: pointsEntries.txId,
      amount: pointsEntries.amount,
      reason: pointsEntries.reason,
      at: pointsEntries.at,
    })
    .from(pointsEntries)
    .innerJoin(pointsAccounts, eq(pointsAccounts.id, pointsEntries.accountId))
    .where(eq(pointsAccounts.memberId, memberId))
    .orderBy(sql`${pointsEntries.id} desc`)
    .limit(limit)
}
