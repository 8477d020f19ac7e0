import { describe, expect, it } from 'vitest'
import { chunk, groupBy, planAudience, reachabilityOf } from '../broadcasts/audience.ts'
import {
  defaultScope,
  mayAuthor,
  mayManage,
  mayView,
  type NoticeActor,
} from '../broadcasts/authorize.ts'
import { noticeCode, parseNoticeCode } from '../broadcasts/notice-code.ts'
import { isFinished, summarize } from '../broadcasts/report.ts'
import { canonicalScope } from '../broadcasts/scope.ts'
import { parseKindsFlag, parseTiersFlag } from '../cli/commands/notice-send.ts'
import { formatLocalTime, parseLocalTime } from '../core/local-time.ts'
import type { RoleGrant } from '../network/permissions.ts'
import type { GroupWithUnit } from '../network/types.ts'

const SQP = '九龙坡区/石桥铺街道'

function group(id: number, tier: number, extra: Partial<GroupWithUnit> = {}): GroupWithUnit {
  return {
    id,
    unitId: id,
    topic: `群${id}`,
    kind: 'residents',
    botAccountId: 1,
    roomId: `room-${id}`,
    active: true,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    tier,
    unitPath: `${SQP}/${id}`,
    ...extra,
  }
}

describe('planAudience', () => {
  it('counts groups per tier and the ones the bot cannot reach, keeping a row for each', () => {
    const plan = planAudience([
      group(1, 2),
      group(2, 3),
      group(3, 3, { active: false }),
      group(4, 5, { roomId: null }),
      group(5, 5, { botAccountId: null }),
      group(5, 5),
    ])
    expect(plan.total).toBe(5)
    expect(plan.perTier).toEqual({ 1: 0, 2: 1, 3: 2, 4: 0, 5: 2 })
    expect(plan.unreachable).toBe(3)
    expect(plan.deliveries.map((d) => d.groupId)).toEqual([1, 2, 3, 4, 5])
    expect(plan.deliveries[4]).toEqual({ groupId: 5, tier: 5, botAccountId: null })
  })

  it('names why a group is unreachable, the account first', () => {
    expect(reachabilityOf({ active: false, roomId: null, botAccountId: null })).toBe('noAccount')
    expect(reachabilityOf({ active: true, roomId: null, botAccountId: 2 })).toBe('unbound')
    expect(reachabilityOf({ active: false, roomId: 'r', botAccountId: 2 })).toBe('inactive')
    expect(reachabilityOf({ active: true, roomId: 'r', botAccountId: 2 })).toBe('ok')
  })

  it('batches rows for multi-row inserts', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
    expect(chunk([], 1000)).toEqual([])
    expect(
      chunk(
        Array.from({ length: 2500 }, (_, i) => i),
        1000,
      ).map((c) => c.length),
    ).toEqual([1000, 1000, 500])
    expect(() => chunk([1], 0)).toThrow(RangeError)
  })

  it('groups rows by key, keys and rows in the order met', () => {
    const rows = [
      { a: 'x', n: 1 },
      { a: 'y', n: 2 },
      { a: 'x', n: 3 },
    ]
    expect([...groupBy(rows, (r) => r.a)]).toEqual([
      ['x', [rows[0], rows[2]]],
      ['y', [rows[1]]],
    ])
    expect(groupBy([], () => 1).size).toBe(0)
  })
})

describe('summarize', () => {
  it('folds status counts per tier, sending counted as pending', () => {
    const p = summarize([
      { tier: 5, status: 'sent', n: 7 },
      { tier: 2, status: 'sent', n: 1 },
      { tier: 5, status: 'sending', n: 1 },
      { tier: 5, status: 'pending', n: 2 },
      { tier: 3, status: 'failed', n: 1 },
      { tier: 3, status: 'skipped', n: 2 },
    ])
    expect(p.tiers.map((t) => t.tier)).toEqual([2, 3, 5])
    expect(p.tiers[2]).toEqual({ tier: 5, total: 10, sent: 7, pending: 3, failed: 0, skipped: 0 })
    expect(p.totals).toEqual({ total: 14, sent: 8, pending: 3, failed: 1, skipped: 2 })
    expect(isFinished(p.totals)).toBe(false)
    expect(isFinished(summarize([{ tier: 4, status: 'failed', n: 3 }]).totals)).toBe(true)
  })
})

describe('notice codes', () => {
  it('reads N12 as people and scripts write it', () => {
    expect(noticeCode(12)).toBe('N12')
    for (const s of ['N12', 'n12', 'N 12', ' 12 ', 'Ｎ１２']) expect(parseNoticeCode(s)).toBe(12)
    for (const s of ['', 'N', 'A0042', 'N0', 'N-1', 'N1.5', 'N2147483648', 'N12 N13']) {
      expect(parseNoticeCode(s)).toBeUndefined()
    }
    expect(parseNoticeCode('N2147483647')).toBe(2_147_483_647)
  })
})

describe('authorization of notices', () => {
  const grants = (...g: [RoleGrant['role'], string][]): RoleGrant[] =>
    g.map(([role, unitPath], i) => ({ role, unitPath, unitId: i + 1 }))
  const member = (id: number, g: RoleGrant[]): NoticeActor => ({
    kind: 'member',
    ref: `wxid_${id}`,
    member: { id, name: `m${id}`, wechatId: `wxid_${id}`, grants: g },
  })
  const liuyang = member(3, grants(['propagandist', SQP]))
  const zhaolei = member(2, grants(['admin', '九龙坡区']))
  const zhangwei = member(5, grants(['station_staff', `${SQP}/科园社区`]))
  const resident: NoticeActor = { kind: 'member', ref: 'wxid_res', member: undefined }
  const cli: NoticeActor = { kind: 'operator', ref: 'cli:ops' }

  it('lets propagandists and admins author inside their subtree only', () => {
    expect(mayAuthor(liuyang, SQP)).toBe(true)
    expect(mayAuthor(liuyang, `${SQP}/科园社区/第一网格`)).toBe(true)
    expect(mayAuthor(liuyang, '九龙坡区')).toBe(false)
    expect(mayAuthor(liuyang, '九龙坡区/杨家坪街道')).toBe(false)
    // A sibling whose name starts the same is not inside the subtree.
    expect(mayAuthor(liuyang, `${SQP}二`)).toBe(false)
    expect(mayAuthor(zhaolei, SQP)).toBe(true)
    expect(mayAuthor(zhangwei, `${SQP}/科园社区`)).toBe(false)
    expect(mayAuthor(resident, SQP)).toBe(false)
    expect(mayAuthor(cli, '九龙坡区')).toBe(true)
  })

  it('defaults to the narrowest grant, preferring the one over the room typed in', () => {
    const both = grants(
      ['propagandist', '九龙坡区'],
      ['propagandist', SQP],
      ['admin', '九龙坡区/杨家坪街道'],
    )
    expect(defaultScope(both, undefined)?.unitPath).toBe(SQP)
    expect(defaultScope(both, '九龙坡区/杨家坪街道/西郊路社区')?.unitPath).toBe(
      '九龙坡区/杨家坪街道',
    )
    expect(defaultScope(both, '九龙坡区')?.unitPath).toBe('九龙坡区')
    expect(defaultScope(grants(['volunteer', SQP]), SQP)).toBeUndefined()
  })

  it('lets the author, an admin over the scope, or an operator confirm; viewers may read', () => {
    const notice = { authorRef: 'wxid_3', authorMemberId: 3, scopePath: SQP }
    expect(mayManage(liuyang, notice)).toBe(true)
    expect(mayManage(zhaolei, notice)).toBe(true)
    expect(mayManage(cli, notice)).toBe(true)
    const colleague = member(9, grants(['propagandist', SQP]))
    expect(mayManage(colleague, notice)).toBe(false)
    expect(mayView(colleague, notice)).toBe(true)
    expect(mayManage(resident, notice)).toBe(false)
    expect(mayView(resident, notice)).toBe(false)
    expect(mayView(member(10, grants(['propagandist', '九龙坡区/杨家坪街道'])), notice)).toBe(false)
    // A CLI notice has no member author: only admins and operators may confirm it.
    const fromCli = { authorRef: 'cli:ops', authorMemberId: null, scopePath: SQP }
    expect(mayManage(liuyang, fromCli)).toBe(false)
    expect(mayManage(zhaolei, fromCli)).toBe(true)
  })
})

describe('scopes and times as people type them', () => {
  it('joins a typed path on /, >, 、 whatever the width', () => {
    expect(canonicalScope('九龙坡区 > 石桥铺街道')).toBe(SQP)
    expect(canonicalScope('石桥铺街道、科园社区')).toBe('石桥铺街道/科园社区')
    expect(canonicalScope('九龙坡区／石桥铺街道／')).toBe(SQP)
    expect(canonicalScope('科园社区')).toBe('科园社区')
  })

  it('reads --at in the district zone unless a zone is written', () => {
    const tz = 'Asia/Shanghai'
    expect(parseLocalTime('2025-06-01 09:00', tz)?.toISOString()).toBe('2025-06-01T01:00:00.000Z')
    expect(parseLocalTime('2025-06-01T09:00:30', tz)?.toISOString()).toBe(
      '2025-06-01T01:00:30.000Z',
    )
    expect(parseLocalTime('2025-06-01', tz)?.toISOString()).toBe('2025-05-31T16:00:00.000Z')
    expect(parseLocalTime('2025-06-01T09:00Z', tz)?.toISOString()).toBe('2025-06-01T09:00:00.000Z')
    expect(parseLocalTime('2025-06-01T09:00+02:00', tz)?.toISOString()).toBe(
      '2025-06-01T07:00:00.000Z',
    )
    expect(parseLocalTime('２０２５-06-01 09:00', tz)?.toISOString()).toBe(
      '2025-06-01T01:00:00.000Z',
    )
    // A zone with daylight saving: the offset of that date, not of today.
    expect(parseLocalTime('2025-07-01 12:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2025-07-01T10:00:00.000Z',
    )
    for (const bad of ['tomorrow', '2025-02-30 09:00', '2025-06-01 24:00', '2025-13-01', '']) {
      expect(parseLocalTime(bad, tz)).toBeUndefined()
    }
    expect(formatLocalTime(new Date('2025-06-01T01:00:00Z'), tz)).toBe('2025-06-01 09:00')
  })

  it('parses --tiers and --kinds, refusing anything else with a usage error', () => {
    expect(parseTiersFlag('4,5')).toEqual([4, 5])
    expect(parseTiersFlag('３，４')).toEqual([3, 4])
    expect(() => parseTiersFlag('6')).toThrow(/--tiers/)
    expect(() => parseTiersFlag('网格')).toThrow(/--tiers/)
    expect(parseKindsFlag('residents,工作')).toEqual(['residents', 'workers'])
    expect(() => parseKindsFlag('everyone')).toThrow(/--kinds/)
  })
})
