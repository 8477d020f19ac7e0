/**
 * Love-bank arithmetic, pure (TimeOverflow's double entry): points are never created from
 * nothing. An earning moves points from the system 'issuance' account to the volunteer, so every
 * transaction sums to zero, the issuance account's balance is minus everything ever earned, and
 * the whole ledger always sums to zero. A correction is a reversing transaction, never an edit.
 */

export interface Posting {
  accountId: number
  /** Integer points; positive credits the account. */
  amount: number
}

export interface LedgerTx {
  /** Deterministic (e.g. `order-42-rated`), so a retried job posts once. */
  txId: string
  reason: string
  postings: Posting[]
}

export class UnbalancedError extends Error {
  override name = 'UnbalancedError'
}

/** Points for volunteer hours: integers, half away from zero, never negative. */
export function pointsFor(hours: number, pointsPerHour: number): number {
  if (!Number.isFinite(hours) || hours <= 0) return 0
  return Math.round(hours * pointsPerHour)
}

/** Checks a transaction: at least two postings, integer amounts, no zero lines, sum zero. */
export function checkBalanced(tx: LedgerTx): void {
  if (tx.postings.length < 2) throw new UnbalancedError(`${tx.txId}: needs two postings`)
  let sum = 0
  const seen = new Set<number>()
  for (const p of tx.postings) {
    if (!Number.isSafeInteger(p.amount) || p.amount === 0) {
      throw new UnbalancedError(`${tx.txId}: bad amount ${p.amount}`)
    }
    if (seen.has(p.accountId)) throw new UnbalancedError(`${tx.txId}: account ${p.accountId} twice`)
    seen.add(p.accountId)
    sum += p.amount
  }
  if (sum !== 0) throw new UnbalancedError(`${tx.txId}: sums to ${sum}, not 0`)
}

/** `amount` points from `fromAccount` (usually issuance) to `toAccount`. */
export function transfer(
  txId: string,
  fromAccount: number,
  toAccount: number,
  amount: number,
  reason: string,
): LedgerTx {
  const tx = {
    txId,
    reason,
    postings: [
      { accountId: fromAccount, amount: -amount },
      { accountId: toAccount, amount },
    ],
  }
  checkBalanced(tx)
  return tx
}

function reversalTxId(txId: string): string {
  return `${txId}-reversal`
}

/** The transaction that undoes `tx`: every posting negated, under its own deterministic id. */
export function reversalOf(tx: LedgerTx, reason: string): LedgerTx {
  const out = {
    txId: reversalTxId(tx.txId),
    reason,
    postings: tx.postings.map((p) => ({ accountId: p.accountId, amount: -p.amount })),
  }
  checkBalanced(out)
  return out
}

/** Balance per account: the sum of its postings, nothing stored. */
export function balances(postings: Iterable<Posting>): Map<number, number> {
  const out = new Map<number, number>()
  for (const p of postings) out.set(p.accountId, (out.get(p.accountId) ?? 0) + p.amount)
  return out
}
