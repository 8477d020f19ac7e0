import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { members } from '../db/schema/network.ts'
import { pointsEntries } from '../db/schema/orders.ts'
import {
  accountBalance,
  issuanceAccount,
  ledgerTotal,
  loadTx,
  memberAccount,
  memberBalance,
  postTx,
  reverseTx,
  unbalancedTxIds,
} from '../orders/points.ts'
import {
  balances,
  checkBalanced,
  type LedgerTx,
  pointsFor,
  reversalOf,
  transfer,
  UnbalancedError,
} from '../orders/points-ledger.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'
import { seeded } from './support/prng.ts'

describe('ledger arithmetic', () => {
  it('refuses unbalanced, single-line, zero or fractional postings', () => {
    const tx = (postings: LedgerTx['postings']) => ({ txId: 't', reason: 'r', postings })
    expect(() => checkBalanced(tx([{ accountId: 1, amount: 5 }]))).toThrow(UnbalancedError)
    expect(() =>
      checkBalanced(
        tx([
          { accountId: 1, amount: -5 },
          { accountId: 2, amount: 4 },
        ]),
      ),
    ).toThrow(/sums to -1/)
    expect(() =>
      checkBalanced(
        tx([
          { accountId: 1, amount: 0 },
          { accountId: 2, amount: 0 },
        ]),
      ),
    ).toThrow(/bad amount/)
    expect(() =>
      checkBalanced(
        tx([
          { accountId: 1, amount: -0.5 },
          { accountId: 2, amount: 0.5 },
        ]),
      ),
    ).toThrow(/bad amount/)
    expect(() =>
      checkBalanced(
        tx([
          { accountId: 1, amount: -1 },
          { accountId: 1, amount: 1 },
        ]),
      ),
    ).toThrow(/twice/)
  })

  it('turns hours into whole points', () => {
    expect(pointsFor(2, 10)).toBe(20)
    expect(pointsFor(0.25, 10)).toBe(3)
    expect(pointsFor(0, 10)).toBe(0)
    expect(pointsFor(Number.NaN, 10)).toBe(0)
    expect(pointsFor(-3, 10)).toBe(0)
  })

  it('balances to zero over random transfers and reversals (seeded)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = seeded(seed)
      const posted: LedgerTx[] = []
      for (let i = 0; i < 200; i++) {
        if (posted.length > 0 && random() < 0.2) {
          const victim = posted[Math.floor(random() * posted.length)]!
          posted.push(reversalOf(victim, 'correction'))
        } else {
          const from = Math.floor(random() * 6)
          const to = (from + 1 + Math.floor(random() * 5)) % 6
          posted.push(transfer(`tx-${seed}-${i}`, from, to, 1 + Math.floor(random() * 100), 'r'))
        }
      }
      const all = posted.flatMap((t) => t.postings)
      const total = [...balances(all).values()].reduce((a, b) => a + b, 0)
      expect(total).toBe(0)
      for (const t of posted) expect(() => checkBalanced(t)).not.toThrow()
    }
  })
})

describe('the love bank in PostgreSQL', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('always balances over random postings, retries and reversals, and balances are sums', async () => {
    const db = t.db
    const people = await db
      .insert(members)
      .values(
        Array.from({ length: 5 }, (_, i) => ({ name: `志愿者${i}`, wechatId: `wxid_ledger_${i}` })),
      )
      .returning()
    const issuance = await issuanceAccount(db)
    const accounts = await Promise.all(people.map((p) => memberAccount(db, p.id)))
    expect(await memberAccount(db, people[0]!.id)).toBe(accounts[0]) // opened once

    const random = seeded(20_260_601)
    const model = new Map<number, number>()
    const credit = (account: number, amount: number) =>
      model.set(account, (model.get(account) ?? 0) + amount)
    const txIds: string[] = []
    for (let i = 0; i < 120; i++) {
      const roll = random()
      if (roll < 0.6 || txIds.length === 0) {
        // An earning: issuance → a volunteer, as a rated order posts it.
        const to = accounts[Math.floor(random() * accounts.length)]!
        const amount = 1 + Math.floor(random() * 40)
        const tx = transfer(`earn-${i}`, issuance, to, amount, `order ${i}`)
        await db.transaction((q) => postTx(q, tx))
        credit(issuance, -amount)
        credit(to, amount)
        txIds.push(tx.txId)
      } else if (roll < 0.8) {
        // A retry of an earlier posting: posts nothing.
        const txId = txIds[Math.floor(random() * txIds.length)]!
        const again = await loadTx(db, txId)
        expect(await db.transaction((q) => postTx(q, again!))).toBe(false)
      } else {
        // A correction: reverse an earlier transaction (reversing twice posts once).
        const txId = txIds[Math.floor(random() * txIds.length)]!
        const original = await loadTx(db, txId)
        const first = await reverseTx(db, txId, '录入错误')
        if (first === 'reversed') {
          for (const p of original!.postings) credit(p.accountId, -p.amount)
        } else {
          expect(first).toBe('already')
        }
        expect(await reverseTx(db, txId, '录入错误')).toBe('already')
      }
      if (i % 20 === 0) expect(await ledgerTotal(db)).toBe(0)
    }

    expect(await ledgerTotal(db)).toBe(0)
    expect(await unbalancedTxIds(db)).toEqual([])
    for (const [account, expected] of model)
      expect(await accountBalance(db, account)).toBe(expected)
    for (const [i, person] of people.entries()) {
      expect(await memberBalance(db, person.id)).toBe(model.get(accounts[i]!) ?? 0)
    }
    expect(await reverseTx(db, 'no-such-tx', 'x')).toBe('unknown')
  })

  it('refuses an unbalanced posting and writes nothing', async () => {
    const db = t.db
    const before = await db.$count(pointsEntries)
    const bad = {
      txId: 'bad-1',
      reason: 'r',
      postings: [
        { accountId: await issuanceAccount(db), amount: -5 },
        { accountId: await issuanceAccount(db), amount: 4 },
      ],
    }
    await expect(db.transaction((q) => postTx(q, bad))).rejects.toThrow(UnbalancedError)
    expect(await db.$count(pointsEntries)).toBe(before)
  })
})
