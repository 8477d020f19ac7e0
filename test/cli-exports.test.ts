import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ordersList } from '../cli/commands/orders-list.ts'
import { pointsBalance } from '../cli/commands/points-balance.ts'
import { writeTable } from '../cli/table-file.ts'
import { placeOrder } from '../orders/intake.ts'
import { runCli } from './support/cli.ts'
import { type OrdersDistrict, startOrdersDistrict } from './support/orders-district.ts'

async function sheetRows(path: string): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.readFile(path)
  const rows: unknown[][] = []
  workbook.worksheets[0]!.eachRow((row) => {
    rows.push((row.values as unknown[]).slice(1))
  })
  return rows
}

describe('CLI listings written to Excel and CSV (--out)', () => {
  let o: OrdersDistrict
  let dir: string
  beforeAll(async () => {
    o = await startOrdersDistrict()
    dir = await mkdtemp(join(tmpdir(), 'qq-export-'))
  })
  afterAll(async () => {
    await o?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('orders list: the same orders in the workbook and the CSV as on screen', async () => {
    const group = await o.group('科园社区第一网格1栋居民群')
    for (const [ref, text] of [
      ['wxid_a', '楼道灯坏了'],
      ['wxid_b', '=HYPERLINK("http://x") 想量血压'],
    ]) {
      await placeOrder(o.services, {
        residentRef: ref!,
        residentName: ref!,
        groupId: group.id,
        unitId: group.unitId,
        text: text!,
        verb: '点单',
      })
    }
    const env = { DATABASE_URL: o.t.url }
    const screen = await runCli(ordersList, env)
    const codes = screen.lines.slice(0, -1).map((l) => l.split('  ')[0])
    const xlsx = join(dir, '工单.xlsx')
    const written = await runCli(ordersList, env, [], { out: xlsx })
    expect(written.lines).toEqual([screen.lines.at(-1)])
    const rows = await sheetRows(xlsx)
    expect(rows[0]).toEqual(['单号', '状态', '类别', '承办单位', '承办人', '下单时间', '超时'])
    expect(rows.slice(1).map((r) => r[0])).toEqual(codes)
    expect(rows[1]![1]).toBe('已派单待接单')

    const csv = join(dir, '工单.csv')
    await runCli(ordersList, env, [], { out: csv })
    const text = await readFile(csv, 'utf8')
    expect(text.startsWith('\uFEFF单号,状态,类别')).toBe(true)
    expect(
      text
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(codes)
    await expect(runCli(ordersList, env, [], { out: join(dir, 'x.txt') })).rejects.toThrow(
      '--out 只支持 .xlsx 或 .csv',
    )
  })

  it('CSV cells: quoted when needed, a leading = + - @ defused so Excel runs no formula', async () => {
    const csv = join(dir, 't.csv')
    await writeTable(csv, {
      sheet: 't',
      headers: ['a', 'b', 'c', 'd'],
      rows: [['=1+1', '甲,乙', 'say "hi"', -3]],
    })
    expect(await readFile(csv, 'utf8')).toBe(`\uFEFFa,b,c,d\r\n'=1+1,"甲,乙","say ""hi""",-3\r\n`)
  })

  it('points balance: every posting with the balance', async () => {
    const env = { DATABASE_URL: o.t.url }
    const xlsx = join(dir, '积分.xlsx')
    const run = await runCli(pointsBalance, env, ['孙丽'], { out: xlsx })
    expect(run.code).toBe(0)
    const rows = await sheetRows(xlsx)
    expect(rows[0]).toEqual(['姓名', '微信号', '时间', '分数', '事由', '交易号', '当前余额'])
    // The screen's statement lines, one row each.
    expect(rows.length - 1).toBe(run.lines.length - 1)
  })
})
