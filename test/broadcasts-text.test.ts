import { describe, expect, it } from 'vitest'
import { summarize } from '../broadcasts/report.ts'
import {
  excerpt,
  finished,
  preview,
  receipt,
  tierBreakdown,
  tierDone,
} from '../broadcasts/templates.ts'
import { formatCount } from '../network/templates.ts'

describe('preview', () => {
  it('quotes the audience per tier with thousands separators and how to confirm', () => {
    const text = preview({
      code: 'N12',
      total: 1204,
      perTier: { 1: 0, 2: 1, 3: 12, 4: 180, 5: 1011 },
      unreachable: 0,
      text: '关于做好近期防汛工作的通知：请各社区、网格立即排查低洼地带和危旧房屋，做好转移准备。',
    })
    expect(text.split('\n')).toEqual([
      '通知 N12 共 1,204 个群：街道 1、社区 12、网格 180、楼栋 1,011。',
      '内容：关于做好近期防汛工作的通知：请各社区、网格立即排查低洼地带和…',
      '回复「确认 N12」发布，「取消 N12」作废。',
    ])
  })

  it('says how many groups will be skipped, when it goes out, and the CLI way to confirm', () => {
    const text = preview({
      code: 'N3',
      total: 17,
      perTier: { 1: 0, 2: 1, 3: 4, 4: 4, 5: 8 },
      unreachable: 2,
      text: '停水',
      at: '2025-06-01 09:00',
      chat: false,
    })
    expect(text.split('\n')).toEqual([
      '通知 N3 共 17 个群：街道 1、社区 4、网格 4、楼栋 8（其中 2 个群机器人不在群内，将跳过）。定于 2025-06-01 09:00 发布。',
      '内容：停水',
      '运行「quanqun notice confirm N3」发布，「quanqun notice cancel N3」作废。',
    ])
  })

  it('formats counts and excerpts', () => {
    expect(formatCount(11181)).toBe('11,181')
    expect(formatCount(0)).toBe('0')
    expect(tierBreakdown({ 1: 1, 2: 0, 3: 0, 4: 0, 5: 0 })).toBe('区 1')
    expect(excerpt('第一行\n\n第二行   第三行')).toBe('第一行 第二行 第三行')
    // Code points, so an emoji is never cut in half.
    expect(excerpt('😀'.repeat(40), 3)).toBe('😀😀😀…')
  })
})

describe('progress and receipts', () => {
  const progress = summarize([
    { tier: 2, status: 'sent', n: 1 },
    { tier: 3, status: 'sent', n: 4 },
    { tier: 4, status: 'sent', n: 3 },
    { tier: 4, status: 'failed', n: 1 },
    { tier: 5, status: 'sent', n: 1000 },
    { tier: 5, status: 'pending', n: 11 },
    { tier: 5, status: 'skipped', n: 1 },
  ])

  it('renders one line per tier, then the groups missed with reasons, cut for chat', () => {
    const missed = Array.from({ length: 12 }, (_, i) => ({
      topic: `群${i}`,
      tier: 5 as const,
      status: 'failed' as const,
      reason: i === 0 ? null : 'room not found',
    }))
    const lines = receipt({
      code: 'N7',
      status: 'confirmed',
      scopePath: '九龙坡区/石桥铺街道',
      progress,
      missed: missed.slice(0, 10),
      missedTotal: 12,
    })
    expect(lines.slice(0, 5)).toEqual([
      '通知 N7（发布中）范围「九龙坡区/石桥铺街道」：送达 1,008，待发 11，失败 1，跳过 1 / 共 1,021',
      '街道：送达 1 / 共 1',
      '社区：送达 4 / 共 4',
      '网格：送达 3，失败 1 / 共 4',
      '楼栋：送达 1,000，待发 11，跳过 1 / 共 1,012',
    ])
    expect(lines[5]).toBe('未送达的群：')
    expect(lines[6]).toBe('· 群0（楼栋）失败：原因不明')
    expect(lines[7]).toBe('· 群1（楼栋）失败：room not found')
    expect(lines.at(-1)).toBe('……另有 2 个群，完整列表见 quanqun notice status N7')
    expect(lines).toHaveLength(17)
  })

  it('tells the author per finished tier and once at the end', () => {
    expect(tierDone('N7', progress.tiers[2]!)).toBe(
      '通知 N7 进度：网格级 4 个群已发完（送达 3，失败 1 / 共 4）。',
    )
    expect(finished('N7', { total: 17, sent: 17, pending: 0, failed: 0, skipped: 0 })).toBe(
      '通知 N7 发布完毕：共 17 个群，送达 17，失败 0。',
    )
    expect(finished('N7', { total: 17, sent: 15, pending: 0, failed: 1, skipped: 1 })).toBe(
      '通知 N7 发布完毕：共 17 个群，送达 15，失败 1，跳过 1。发送「回执 N7」查看未送达的群。',
    )
  })
})
