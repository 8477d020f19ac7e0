import { eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { members } from '../db/schema/network.ts'
import { orders, pointsAccounts, pointsEntries, serviceCatalog } from '../db/schema/orders.ts'
import { statusName } from '../orders/templates.ts'

/** The demo's closing lines: each order's final state, and the love bank's balances. */
export async function summarize(db: Db, codes: readonly string[]): Promise<string[]> {
  const rows = await db
    .select({ code: orders.code, status: orders.status, category: serviceCatalog.name })
    .from(orders)
    .leftJoin(serviceCatalog, eq(serviceCatalog.id, orders.categoryId))
    .where(inArray(orders.code, [...codes]))
    .orderBy(orders.code)
  const balances = await db
    .select({ name: members.name, balance: sql<number>`sum(${pointsEntries.amount})::int` })
    .from(pointsEntries)
    .innerJoin(pointsAccounts, eq(pointsAccounts.id, pointsEntries.accountId))
    .innerJoin(members, eq(members.id, pointsAccounts.memberId))
    .groupBy(members.name)
    .orderBy(members.name)
  return [
    '服务单汇总：',
    ...rows.map((r) => `  ${r.code} ${r.category ?? '未分类'}：${statusName[r.status]}`),
    '爱心积分：',
    ...(balances.length ? balances.map((b) => `  ${b.name} ${b.balance} 分`) : ['  （暂无）']),
  ]
}
