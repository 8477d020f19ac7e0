import { describe, expect, it } from 'vitest'
import { ORDER_STATUSES, type OrderStatus } from '../db/schema/orders.ts'
import type { RoleGrant } from '../network/permissions.ts'
import {
  type OrderAction,
  type OrderActor,
  type OrderSnapshot,
  stepOf,
  transition,
} from '../orders/state-machine.ts'

const GRID = '九龙坡区/石桥铺街道/科园社区/第一网格'
const OTHER_GRID = '九龙坡区/石桥铺街道/科园社区/第二网格'
const COMMUNITY = '九龙坡区/石桥铺街道/科园社区'
const OTHER_COMMUNITY = '九龙坡区/石桥铺街道/渝州路社区'

const person = (ref: string, memberId?: number, grants: RoleGrant[] = []): OrderActor => ({
  kind: 'person',
  ref,
  ...(memberId !== undefined ? { memberId } : {}),
  grants,
})

const actors = {
  resident: person('wxid_res'),
  otherResident: person('wxid_other'),
  assignee: person('wxid_sunli', 14, [{ role: 'grid_worker', unitId: 7, unitPath: GRID }]),
  gridMate: person('wxid_mate', 30, [{ role: 'volunteer', unitId: 7, unitPath: GRID }]),
  otherGridWorker: person('wxid_wugang', 15, [
    { role: 'grid_worker', unitId: 8, unitPath: OTHER_GRID },
  ]),
  stationStaff: person('wxid_zhangwei', 5, [
    { role: 'station_staff', unitId: 4, unitPath: COMMUNITY },
  ]),
  otherStaff: person('wxid_huangmin', 8, [
    { role: 'station_staff', unitId: 5, unitPath: OTHER_COMMUNITY },
  ]),
  system: { kind: 'system' } as OrderActor,
} as const
type ActorName = keyof typeof actors

/** The order in each status; assigned to member 14 where an assignee belongs. */
function orderIn(status: OrderStatus): OrderSnapshot {
  const assigned =
    status === 'dispatched' || status === 'accepted' || status === 'done' || status === 'rated'
  return {
    code: 'A0042',
    status,
    residentRef: 'wxid_res',
    handlingUnit: { id: 7, path: GRID, tier: 4 },
    assigneeMemberId: assigned ? 14 : null,
    reopens: 0,
  }
}

const parent = { id: 4, path: COMMUNITY, tier: 3 }
const actions = {
  dispatch: {
    kind: 'dispatch',
    assignee: {
      memberId: 30,
      name: '李梅',
      grants: [{ role: 'volunteer', unitId: 7, unitPath: GRID }],
    },
  },
  accept: { kind: 'accept' },
  complete: { kind: 'complete' },
  return: { kind: 'return' },
  escalate: { kind: 'escalate', parent },
  cancel: { kind: 'cancel' },
  rate: { kind: 'rate', stars: 5 },
  autoClose: { kind: 'autoClose' },
} as const satisfies Record<string, OrderAction>
type ActionName = keyof typeof actions

const OPEN: OrderStatus[] = ['placed', 'dispatched', 'accepted', 'returned', 'escalated']
const UNASSIGNED_OPEN: OrderStatus[] = ['placed', 'returned', 'escalated']

/** Every allowed (status, action, actor) and where it leads; everything else is refused. */
const allowed: (readonly [OrderStatus, ActionName, ActorName, OrderStatus])[] = [
  ...OPEN.flatMap((s) => [
    [s, 'dispatch', 'system', 'dispatched'] as const,
    [s, 'dispatch', 'stationStaff', 'dispatched'] as const,
    [s, 'escalate', 'system', 'escalated'] as const,
    [s, 'escalate', 'stationStaff', 'escalated'] as const,
    [s, 'cancel', 'resident', 'cancelled'] as const,
  ]),
  ...UNASSIGNED_OPEN.flatMap((s) => [
    [s, 'accept', 'assignee', 'accepted'] as const,
    [s, 'accept', 'gridMate', 'accepted'] as const,
    [s, 'accept', 'stationStaff', 'accepted'] as const,
  ]),
  ['dispatched', 'accept', 'assignee', 'accepted'],
  ['dispatched', 'return', 'assignee', 'returned'],
  ['accepted', 'return', 'assignee', 'returned'],
  ['accepted', 'complete', 'assignee', 'done'],
  ['done', 'rate', 'resident', 'rated'],
  ['done', 'autoClose', 'system', 'rated'],
]

const table = ORDER_STATUSES.flatMap((status) =>
  (Object.keys(actions) as ActionName[]).flatMap((action) =>
    (Object.keys(actors) as ActorName[]).map((actor) => {
      const hit = allowed.find(([s, a, who]) => s === status && a === action && who === actor)
      return { status, action, actor, to: hit?.[3] }
    }),
  ),
)

describe('the order state machine', () => {
  it('covers every status × action × actor', () => {
    expect(table).toHaveLength(8 * 8 * 8)
    expect(table.filter((r) => r.to).length).toBe(allowed.length)
  })

  it.each(table)('$status · $action · $actor → $to', ({ status, action, actor, to }) => {
    const result = transition(orderIn(status), actions[action], actors[actor])
    if (to) {
      expect(result).toMatchObject({ ok: true, to })
    } else {
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.reason).toMatch(/[\u4e00-\u9fff]/)
    }
  })

  it('names the order and the reason in refusals people will meet', () => {
    const reason = (s: OrderStatus, a: ActionName, who: ActorName) => {
      const r = transition(orderIn(s), actions[a], actors[who])
      return r.ok ? '' : r.reason
    }
    expect(reason('done', 'rate', 'otherResident')).toBe('只有点单的居民本人可以评价 A0042。')
    expect(reason('placed', 'accept', 'otherGridWorker')).toBe('单号 A0042 不在您负责的范围内。')
    expect(reason('dispatched', 'accept', 'otherGridWorker')).toContain('已派给其他人')
    expect(reason('dispatched', 'complete', 'assignee')).toBe(
      '单号 A0042 还没有接单，请先发送「接单 A0042」。',
    )
    expect(reason('done', 'cancel', 'resident')).toBe('单号 A0042 已办结，不能再改动。')
    expect(reason('accepted', 'rate', 'resident')).toContain('还没有办结')
    expect(reason('rated', 'rate', 'resident')).toContain('已评价过了')
    expect(reason('placed', 'dispatch', 'otherStaff')).toContain('只有负责该单的站点人员')
  })

  it('clears the assignee on return and escalation, moves escalation one tier up, sets it on accept', () => {
    expect(transition(orderIn('accepted'), actions.return, actors.assignee)).toMatchObject({
      assigneeMemberId: null,
    })
    expect(transition(orderIn('dispatched'), actions.escalate, actors.system)).toMatchObject({
      assigneeMemberId: null,
      handlingUnit: parent,
      event: 'escalated',
    })
    expect(transition(orderIn('placed'), actions.accept, actors.gridMate)).toMatchObject({
      assigneeMemberId: 30,
    })
  })

  it('stops escalation at the district', () => {
    const atTop = { ...orderIn('escalated'), handlingUnit: { id: 1, path: '九龙坡区', tier: 1 } }
    const result = transition(atTop, { kind: 'escalate', parent: undefined }, actors.system)
    expect(result).toEqual({ ok: false, reason: '单号 A0042 已在区文明实践中心，无法再上报。' })
  })

  it('refuses to dispatch to a worker of another community', () => {
    const stranger = {
      kind: 'dispatch',
      assignee: {
        memberId: 40,
        name: '马超',
        grants: [{ role: 'volunteer', unitId: 5, unitPath: OTHER_COMMUNITY }],
      },
    } as const
    const result = transition(orderIn('placed'), stranger, actors.stationStaff)
    expect(result).toEqual({
      ok: false,
      reason: '马超 不是该单所在单位的网格员或志愿者，不能派给 ta。',
    })
    // A community volunteer may take a grid order of their community.
    const communityVolunteer = {
      kind: 'dispatch',
      assignee: {
        memberId: 41,
        name: '李娜',
        grants: [{ role: 'volunteer', unitId: 4, unitPath: COMMUNITY }],
      },
    } as const
    expect(transition(orderIn('placed'), communityVolunteer, actors.stationStaff).ok).toBe(true)
  })

  it('reopens on a low rating once, then a rating closes', () => {
    const low = { kind: 'rate', stars: 2 } as const
    expect(transition(orderIn('done'), low, actors.resident)).toMatchObject({
      ok: true,
      to: 'dispatched',
      event: 'reopened',
    })
    expect(transition({ ...orderIn('done'), reopens: 1 }, low, actors.resident)).toMatchObject({
      ok: true,
      to: 'rated',
      event: 'rated',
    })
    expect(transition(orderIn('done'), { kind: 'rate', stars: 3 }, actors.resident)).toMatchObject({
      to: 'rated',
    })
    expect(transition(orderIn('done'), { kind: 'rate', stars: 9 }, actors.resident).ok).toBe(false)
  })

  it('knows which SLA step runs in each status', () => {
    expect(ORDER_STATUSES.map((s) => [s, stepOf(s)])).toEqual([
      ['placed', 'accept'],
      ['dispatched', 'accept'],
      ['accepted', 'complete'],
      ['done', 'rate'],
      ['rated', undefined],
      ['returned', 'accept'],
      ['escalated', 'accept'],
      ['cancelled', undefined],
    ])
  })
})
