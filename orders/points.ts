/**
 * The love bank (爱心银行) in PostgreSQL: accounts, postings and balances. Entries are only ever
 * inserted; a transaction's entries go in with one statement under a deterministic txId, so a
 * retry finds them already there and posts nothing. Balances are sums, never stored.
 */
import { and, asc, eq, sql, sum } from 'drizzle-orm'
import { recordAudit } from '../audit/record-audit.ts'
import type { Db } from '../db/client.ts'
import { members } from '../db/schema/network.ts'
import {
  type PendingStatus,
  pointsAccounts,
  pointsEntries,
  pointsPending,
} from '../db/schema/orders.ts'
import type { Tx } from './order-store.ts'
import { checkBalanced, type LedgerTx, reversalOf, transfer } from './points-ledger.ts'

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

// ---------------------------------------------------------------------------------------------
// The daily cap: earnings over it wait for a station's approval.

// Advisory lock namespace (first key of pg_advisory_xact_lock(int, int)) of a member's earnings.
const LOCK_MEMBER_POINTS = 5_003

/**
 * Serialises a member's earnings until the transaction ends: two ratings closing at once both
 * see the other's points before deciding on the cap.
 */
export async function lockMemberPoints(tx: Tx, memberId: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_MEMBER_POINTS}::int, ${memberId}::int)`)
}

/**
 * Points a member earned by closing orders since `since` (the start of their local day), as the
 * cap counts them: order earnings posted at once, not those a station approved from review.
 */
export async function earnedSince(db: Q, memberId: number, since: Date): Promise<number> {
  const [row] = await db
    .select({ total: sum(pointsEntries.amount) })
    .from(pointsEntries)
    .innerJoin(pointsAccounts, eq(pointsAccounts.id, pointsEntries.accountId))
    .where(
      and(
        eq(pointsAccounts.memberId, memberId),
        sql`${pointsEntries.amount} > 0`,
        sql`${pointsEntries.orderId} is not null`,
        sql`${pointsEntries.txId} like 'order-%-rated'`,
        sql`${pointsEntries.at} >= ${since.toISOString()}::timestamptz`,
        sql`not exists (select 1 from ${pointsPending} p where p.tx_id = ${pointsEntries.txId})`,
      ),
    )
  return Number(row?.total ?? 0)
}

export interface HeldPoints {
  id: number
  txId: string
  memberId: number
  amount: number
}

/** An earning over the cap, held for review (once per txId, however often a job retries). */
export async function holdForReview(
  db: Q,
  held: {
    txId: string
    memberId: number
    orderId: number | null
    amount: number
    reason: string
    at: Date
  },
): Promise<HeldPoints> {
  await db
    .insert(pointsPending)
    .values({ ...held, createdAt: held.at })
    .onConflictDoNothing({ target: pointsPending.txId })
  const [row] = await db.select().from(pointsPending).where(eq(pointsPending.txId, held.txId))
  return { id: row!.id, txId: row!.txId, memberId: row!.memberId, amount: row!.amount }
}

export interface PendingLine {
  id: number
  txId: string
  memberId: number
  name: string
  wechatId: string
  amount: number
  reason: string
  createdAt: Date
}

/** Earnings waiting for review, oldest first. */
export async function listPending(db: Q, limit = 200): Promise<PendingLine[]> {
  return db
    .select({
      id: pointsPending.id,
      txId: pointsPending.txId,
      memberId: pointsPending.memberId,
      name: members.name,
      wechatId: members.wechatId,
      amount: pointsPending.amount,
      reason: pointsPending.reason,
      createdAt: pointsPending.createdAt,
    })
    .from(pointsPending)
    .innerJoin(members, eq(members.id, pointsPending.memberId))
    .where(eq(pointsPending.status, 'pending'))
    .orderBy(asc(pointsPending.id))
    .limit(limit)
}

export type Decision = 'approve' | 'reject'

export type DecideResult =
  | { kind: 'unknown' }
  | { kind: 'already'; status: PendingStatus }
  | {
      kind: 'approved' | 'rejected'
      memberId: number
      name: string
      amount: number
      balance: number
      txId: string
    }

/**
 * A station decides on a held earning: approval posts it (issuance → member, under the earning's
 * own txId) and marks it approved, rejection marks it rejected and posts nothing; either once.
 * The decision, with who made it, goes to audit_log.
 */
export async function decidePending(
  db: Db,
  input: { id: number; decision: Decision; actorRef: string; note?: string; at?: Date },
): Promise<DecideResult> {
  const at = input.at ?? new Date()
  const result = await db.transaction(async (tx): Promise<DecideResult> => {
    const [row] = await tx
      .select()
      .from(pointsPending)
      .where(eq(pointsPending.id, input.id))
      .for('update')
    if (!row) return { kind: 'unknown' }
    if (row.status !== 'pending') return { kind: 'already', status: row.status }
    const approve = input.decision === 'approve'
    if (approve) {
      await postTx(
        tx,
        transfer(
          row.txId,
          await issuanceAccount(tx),
          await memberAccount(tx, row.memberId),
          row.amount,
          row.reason,
        ),
        row.orderId,
        at,
      )
    }
    await tx
      .update(pointsPending)
      .set({
        status: approve ? 'approved' : 'rejected',
        decidedAt: at,
        decidedBy: input.actorRef,
        decisionNote: input.note ?? null,
      })
      .where(eq(pointsPending.id, row.id))
    const [who] = await tx
      .select({ name: members.name })
      .from(members)
      .where(eq(members.id, row.memberId))
    return {
      kind: approve ? 'approved' : 'rejected',
      memberId: row.memberId,
      name: who?.name ?? '',
      amount: row.amount,
      balance: await memberBalance(tx, row.memberId),
      txId: row.txId,
    }
  })
  if (result.kind === 'unknown') return result
  await recordAudit(db, {
    memberId: null,
    actorRef: input.actorRef,
    action: `points.${input.decision}`,
    allowed: result.kind !== 'already',
    detail: {
      pendingId: input.id,
      ...(result.kind === 'already'
        ? { status: result.status }
        : { txId: result.txId, memberId: result.memberId, amount: result.amount }),
      ...(input.note ? { note: input.note } : {}),
    },
  })
  return result
}
