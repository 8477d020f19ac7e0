import { asc, eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { orderEvents, orders } from '../db/schema/orders.ts'
import { candidatesFor, pickLeastLoaded } from '../orders/dispatch.ts'
import { placeOrder, prepareOrder } from '../orders/intake.ts'
import { type Intake, placeBatch } from '../orders/intake-batch.ts'
import type { PlaceInput } from '../orders/intake-rules.ts'
import { type OrdersDistrict, startOrdersDistrict } from './support/orders-district.ts'

const KEYUAN_GROUPS = [
  '科园社区居民群',
  '科园社区第一网格居民群',
  '科园社区第二网格居民群',
  '科园社区第一网格1栋居民群',
  '科园社区第一网格2栋居民群',
  '科园社区第二网格1栋居民群',
  '科园社区第二网格2栋居民群',
]

describe('intake in batches: one transaction, the same rules as one by one', () => {
  let o: OrdersDistrict
  beforeAll(async () => {
    o = await startOrdersDistrict()
  })
  afterAll(async () => {
    await o?.stop()
  })

  async function intake(topic: string, text: string, residentRef?: string): Promise<Intake> {
    return {
      services: o.services,
      prepared: await prepareOrder(o.services, await o.input(topic, text, residentRef)),
    }
  }

  const timeline = async (orderId: number) =>
    (
      await o.t.db
        .select()
        .from(orderEvents)
        .where(eq(orderEvents.orderId, orderId))
        .orderBy(asc(orderEvents.at), asc(orderEvents.id))
    ).map((e) => [e.type, e.toStatus])

  it('decides duplicates, the pace limit and placement in arrival order within one batch', async () => {
    const stored = await placeOrder(
      o.services,
      await o.input(KEYUAN_GROUPS[3]!, '楼道灯坏了', 'wxid_batch_repeater'),
    )
    expect(stored.kind).toBe('placed')
    const storedCode = stored.kind === 'placed' ? stored.order.code : ''

    const batch = [
      // Its resident's repeat of the order already stored.
      await intake(KEYUAN_GROUPS[3]!, '楼道灯坏了，快来修', 'wxid_batch_repeater'),
      // A new order, then its resident's repeat of it in the same batch.
      await intake(KEYUAN_GROUPS[4]!, '楼道灯坏了', 'wxid_batch_twice'),
      await intake(KEYUAN_GROUPS[4]!, '楼道灯坏了！', 'wxid_batch_twice'),
      // One resident ordering four times: the fourth is over the pace (3 per 10 minutes).
      await intake(KEYUAN_GROUPS[5]!, '楼道灯坏了', 'wxid_batch_flooder'),
      await intake(KEYUAN_GROUPS[5]!, '想量血压', 'wxid_batch_flooder'),
      await intake(KEYUAN_GROUPS[6]!, '门口路灯坏了', 'wxid_batch_flooder'),
      await intake(KEYUAN_GROUPS[6]!, '想测血糖', 'wxid_batch_flooder'),
      // 其他求助: only the same person's same words are a repeat.
      await intake(KEYUAN_GROUPS[1]!, '能不能来看看我家那个东西', 'wxid_batch_general'),
      await intake(KEYUAN_GROUPS[1]!, '能不能来看看，我家那个东西！', 'wxid_batch_general'),
      await intake(KEYUAN_GROUPS[1]!, '能不能来看看我家那个东西'),
    ]
    const outcomes = await placeBatch(o.t.db, batch)
    const codeOf = (i: number) => {
      const out = outcomes[i]!
      return out.kind === 'placed' ? out.last.order.code : undefined
    }
    expect(outcomes.map((r) => r.kind)).toEqual([
      'duplicate',
      'placed',
      'duplicate',
      'placed',
      'placed',
      'placed',
      'limited',
      'placed',
      'duplicate',
      'placed',
    ])
    expect(outcomes[0]).toEqual({ kind: 'duplicate', code: storedCode })
    expect(outcomes[2]).toEqual({ kind: 'duplicate', code: codeOf(1) })
    expect(outcomes[6]).toEqual({ kind: 'limited', max: 3, minutes: 10 })
    expect(outcomes[8]).toEqual({ kind: 'duplicate', code: codeOf(7) })

    // Exactly the placed ones are stored, each with its timeline, as the outcome says.
    const placed = outcomes.flatMap((r) => (r.kind === 'placed' ? [r] : []))
    const rows = await o.t.db
      .select()
      .from(orders)
      .where(
        inArray(
          orders.code,
          placed.map((r) => r.last.order.code),
        ),
      )
    expect(rows).toHaveLength(6)
    expect(new Set(rows.map((r) => r.code)).size).toBe(6)
    expect(await o.t.db.$count(orders, eq(orders.residentRef, 'wxid_batch_flooder'))).toBe(3)
    for (const r of placed) {
      const row = rows.find((x) => x.code === r.last.order.code)!
      expect(row).toEqual(r.last.order)
      const events = await timeline(row.id)
      expect(events[0]).toEqual(['placed', 'placed'])
      expect(events.at(-1)).toEqual([r.last.event.type, row.status])
      const [event] = await o.t.db
        .select()
        .from(orderEvents)
        .where(eq(orderEvents.id, r.last.event.id))
      expect(event).toEqual(r.last.event)
    }
  })

  it('raises each worker’s load as the batch dispatches, as one-by-one dispatch would', async () => {
    // A station matter from four of 科园社区's groups: all go to the community's two volunteers.
    const batch = await Promise.all(
      KEYUAN_GROUPS.slice(0, 4).map((topic) => intake(topic, '想请人来量血压')),
    )
    const unitId = batch[0]!.prepared.handlingUnit.id
    for (const b of batch) expect(b.prepared.handlingUnit.id).toBe(unitId)
    const before = await candidatesFor(o.t.db, unitId)
    expect(before.length).toBe(2)

    // One by one: the least loaded takes each order, and is one order busier for the next.
    const loads = new Map(before.map((c) => [c.memberId, c.load]))
    const expected = batch.map(() => {
      const pick = pickLeastLoaded(before.map((c) => ({ ...c, load: loads.get(c.memberId)! })))!
      loads.set(pick.memberId, pick.load + 1)
      return pick.memberId
    })

    const outcomes = await placeBatch(o.t.db, batch)
    expect(
      outcomes.map((r) => (r.kind === 'placed' ? r.last.order.assigneeMemberId : r.kind)),
    ).toEqual(expected)
    expect(new Set(expected).size).toBe(2)
    const after = await candidatesFor(o.t.db, unitId)
    expect(after.map((c) => c.load)).toEqual(before.map((c) => loads.get(c.memberId)))
    for (const r of outcomes) {
      if (r.kind !== 'placed') continue
      expect(r.last.event.type).toBe('dispatched')
      expect(await timeline(r.last.order.id)).toEqual([
        ['placed', 'placed'],
        ['dispatched', 'dispatched'],
      ])
    }
  })

  it('a failing order fails alone: the rest of its batch is placed one by one', async () => {
    const good = await Promise.all(
      ['邻里纠纷要调解', '消防通道有隐患', '孩子作业没人辅导', '想学广场舞'].map((text, i) =>
        o.input(KEYUAN_GROUPS[i]!, text, `wxid_batch_good_${i}`),
      ),
    )
    // A group that no longer exists: its insert breaks the foreign key.
    const bad: PlaceInput = { ...good[0]!, residentRef: 'wxid_batch_bad', groupId: 999_999 }

    // Together in one transaction, nothing is written.
    const together = await Promise.all(
      [...good, bad].map(async (i) => ({
        services: o.services,
        prepared: await prepareOrder(o.services, i),
      })),
    )
    await expect(placeBatch(o.t.db, together)).rejects.toThrow()
    expect(
      await o.t.db.$count(
        orders,
        inArray(
          orders.residentRef,
          [...good, bad].map((i) => i.residentRef),
        ),
      ),
    ).toBe(0)

    // Through intake (handed over together, so batched together): the others are placed.
    const warn = vi.spyOn(o.services.log, 'warn')
    const results = await Promise.allSettled(
      [good[0]!, good[1]!, bad, good[2]!, good[3]!].map((i) => placeOrder(o.services, i)),
    )
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ size: 5 }),
      'intake batch failed: placing its orders one by one',
    )
    warn.mockRestore()
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ])
    for (const r of results) {
      if (r.status === 'fulfilled') expect(r.value.kind).toBe('placed')
    }
    expect(await o.t.db.$count(orders, eq(orders.residentRef, 'wxid_batch_bad'))).toBe(0)
    expect(
      await o.t.db.$count(
        orders,
        inArray(
          orders.residentRef,
          good.map((i) => i.residentRef),
        ),
      ),
    ).toBe(4)
  })

  it('reads only once the locks are held: an order committed meanwhile by another intake counts', async () => {
    const topic = KEYUAN_GROUPS[2]!
    const probe = await intake(topic, '小区里有安全隐患')
    const { groupId, unitId, category, handlingUnit } = probe.prepared
    let locked!: () => void
    const held = new Promise<void>((resolve) => {
      locked = resolve
    })
    // Another process's intake of the same group, holding the group's lock while it writes.
    const other = o.t.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(5001, ${groupId})`)
      // The same resident's order of the same need (a neighbour's would never be a repeat).
      await tx.insert(orders).values({
        code: 'Z9998',
        residentRef: probe.prepared.residentRef,
        residentName: '邻居',
        groupId,
        unitId,
        categoryId: category.id,
        text: '小区里有安全隐患',
        status: 'placed',
        handlingUnitId: handlingUnit.id,
      })
      locked()
      await new Promise((r) => setTimeout(r, 300))
    })
    await held
    const [outcome] = await placeBatch(o.t.db, [probe])
    await other
    expect(outcome).toEqual({ kind: 'duplicate', code: 'Z9998' })
  })

  it('holds no lone order behind a batch in flight: it commits while that batch waits', async () => {
    const first = await o.input(KEYUAN_GROUPS[5]!, '楼道灯坏了，晚上看不见路')
    const lone = await o.input(KEYUAN_GROUPS[6]!, '楼道扶手松了')
    let locked!: () => void
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      locked = resolve
    })
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    // Another process's intake of the first order's group, holding its lock until released: the
    // first order's batch goes out and waits in flight.
    const other = o.t.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(5001, ${first.groupId})`)
      locked()
      await released
    })
    await held
    let firstDone = false
    const blocked = placeOrder(o.services, first).finally(() => {
      firstDone = true
    })
    await new Promise((r) => setTimeout(r, 200))
    const outcome = await Promise.race([
      placeOrder(o.services, lone),
      new Promise((r) => setTimeout(() => r('still waiting'), 5_000)),
    ])
    expect(outcome).toMatchObject({ kind: 'placed' })
    expect(firstDone).toBe(false)
    release()
    await other
    expect((await blocked).kind).toBe('placed')
  })
})
