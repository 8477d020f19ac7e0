import { describe, expect, it } from 'vitest'
import { createLogger } from '../core/logger.ts'
import { maskPersonalData } from '../core/personal-data.ts'

describe('maskPersonalData', () => {
  it.each([
    ['电话13812345678请联系', '电话138****5678请联系'],
    ['+86 138-1234-5678', '+86 138****5678'],
    ['１３８１２３４５６７８', '138****5678'],
    ['座机023-68881234', '座机023-****1234'],
    ['身份证500107198001011234', '身份证500107************'],
    ['科园小区3栋2单元501室 王阿姨', '科园小区*栋*单元*室 王阿姨'],
    ['科园路12号', '科园路*号'],
    ['邮箱 zhang.san+311@example.com.cn', '邮箱 z***@example.com.cn'],
  ])('masks %s', (text, masked) => {
    expect(maskPersonalData(text)).toBe(masked)
  })

  it.each(['订单A0042', '用时2小时', '本月12月20号9:00开会', '评价 A0042 5'])(
    'leaves %s as it is',
    (text) => {
      expect(maskPersonalData(text)).toBe(text)
    },
  )
})

describe('the logger', () => {
  it('masks phone numbers in messages, fields and errors, and redacts secrets by key', () => {
    const lines: Record<string, unknown>[] = []
    const log = createLogger(
      { logLevel: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    )
    log.info(
      {
        text: '点单 电话13812345678',
        token: 'tok-123',
        nested: { password: 'pw', door: '3栋501室' },
      },
      'order from 13912345678',
    )
    log.error({ err: new Error('insert failed: params 13712345678') }, 'failed')
    const all = JSON.stringify(lines)
    expect(all).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/)
    expect(all).not.toContain('tok-123')
    expect(all).not.toContain('"pw"')
    expect(lines[0]).toMatchObject({
      text: '点单 电话138****5678',
      token: '[redacted]',
      nested: { password: '[redacted]', door: '*栋*室' },
      msg: 'order from 139****5678',
    })
    expect(lines[1]).toMatchObject({
      err: { type: 'Error', message: 'insert failed: params 137****5678' },
    })
  })
})
