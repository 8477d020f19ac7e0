import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateRawSync } from 'node:zlib'
import { parse } from 'csv-parse/sync'
import { asc, count, eq } from 'drizzle-orm'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { networkImport } from '../cli/commands/network-import.ts'
import { networkTemplate } from '../cli/commands/network-template.ts'
import type { Db } from '../db/client.ts'
import { botAccounts, groups, members, roles, units } from '../db/schema/network.ts'
import { importNetwork } from '../network/import.ts'
import { TEMPLATE_EXAMPLE } from '../network/roster-template.ts'
import { MAX_WORKBOOK_ROWS } from '../network/roster-workbook.ts'
import { runCli } from './support/cli.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

const sampleCsv = readFileSync(new URL('../fixtures/sample-district.csv', import.meta.url))
const [header, ...sampleRows] = parse(sampleCsv) as string[][]

type Cell = ExcelJS.CellValue
interface SheetSpec {
  name: string
  rows: Cell[][]
}

/** A workbook of the given sheets, each row as written by Excel (values at A1 onwards). */
async function workbook(...sheets: SheetSpec[]): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook()
  for (const spec of sheets) {
    const sheet = book.addWorksheet(spec.name)
    for (const row of spec.rows) sheet.addRow(row)
  }
  return new Uint8Array(await book.xlsx.writeBuffer())
}

/** The whole network as comparable values: no ids, only what the roster says. */
async function network(db: Db) {
  const unitRows = await db
    .select({ path: units.path, tier: units.tier, body: units.body })
    .from(units)
    .orderBy(asc(units.path))
  const groupRows = await db
    .select({ topic: groups.topic, kind: groups.kind, unit: units.path, bot: botAccounts.name })
    .from(groups)
    .innerJoin(units, eq(units.id, groups.unitId))
    .innerJoin(botAccounts, eq(botAccounts.id, groups.botAccountId))
    .orderBy(asc(groups.topic))
  const memberRows = await db
    .select({ wechatId: members.wechatId, name: members.name })
    .from(members)
    .orderBy(asc(members.wechatId))
  const roleRows = await db
    .select({ wechatId: members.wechatId, role: roles.role, unit: units.path })
    .from(roles)
    .innerJoin(members, eq(members.id, roles.memberId))
    .innerJoin(units, eq(units.id, roles.unitId))
    .orderBy(asc(members.wechatId), asc(units.path))
  const bots = await db
    .select({ name: botAccounts.name })
    .from(botAccounts)
    .orderBy(asc(botAccounts.name))
  return { units: unitRows, groups: groupRows, members: memberRows, roles: roleRows, bots }
}

/** A zip of one deflated entry whose headers declare `declared` bytes unzipped (CRC left 0). */
function zipOf(name: string, content: Buffer, declared: number): Uint8Array {
  const packed = deflateRawSync(content)
  const file = Buffer.from(name)
  const local = Buffer.alloc(30)
  local.writeUInt32LE(0x04034b50, 0)
  local.writeUInt16LE(20, 4)
  local.writeUInt16LE(8, 8)
  local.writeUInt32LE(packed.length, 18)
  local.writeUInt32LE(declared, 22)
  local.writeUInt16LE(file.length, 26)
  const central = Buffer.alloc(46)
  central.writeUInt32LE(0x02014b50, 0)
  central.writeUInt16LE(20, 4)
  central.writeUInt16LE(20, 6)
  central.writeUInt16LE(8, 10)
  central.writeUInt32LE(packed.length, 20)
  central.writeUInt32LE(declared, 24)
  central.writeUInt16LE(file.length, 28)
  const centralAt = local.length + file.length + packed.length
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(1, 8)
  end.writeUInt16LE(1, 10)
  end.writeUInt32LE(central.length + file.length, 12)
  end.writeUInt32LE(centralAt, 16)
  return new Uint8Array(Buffer.concat([local, file, packed, central, file, end]))
}

const unitCount = async (db: Db) => (await db.select({ n: count() }).from(units))[0]!.n

describe('network import from Excel/WPS workbooks', () => {
  const dbs: TestDatabase[] = []
  let dir: string
  let csvNetwork: Awaited<ReturnType<typeof network>>
  const fresh = async () => {
    const t = await createTestDatabase()
    dbs.push(t)
    return t
  }
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quanqun-xlsx-'))
    const t = await fresh()
    expect((await importNetwork(t.db, sampleCsv)).ok).toBe(true)
    csvNetwork = await network(t.db)
  })
  afterAll(async () => {
    await Promise.all(dbs.map((t) => t.close()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('imports the sample district from one sheet exactly as from the CSV', async () => {
    const t = await fresh()
    const bytes = await workbook({ name: '名册', rows: [header!, ...sampleRows] })
    const result = await importNetwork(t.db, bytes, 'district.xlsx')
    expect(result).toEqual({
      ok: true,
      created: { units: 24, groups: 27, botAccounts: 2, members: 19, roles: 19 },
      updated: { units: 0, groups: 0, botAccounts: 0, members: 0, roles: 0 },
      unchanged: { units: 0, groups: 0, botAccounts: 0, members: 0, roles: 0 },
    })
    expect(await network(t.db)).toEqual(csvNetwork)
    // The same rows from the CSV change nothing.
    const again = await importNetwork(t.db, sampleCsv)
    expect(again.ok && again.unchanged).toEqual({
      units: 24,
      groups: 27,
      botAccounts: 2,
      members: 19,
      roles: 19,
    })
  })

  it('reads every sheet with the header, in order, columns in any order, titles and notes aside', async () => {
    const t = await fresh()
    const township = (path: string) => path.split('/')[1] ?? ''
    const first = sampleRows.filter((r) => township(r[0]!) !== '杨家坪街道')
    const second = sampleRows.filter((r) => township(r[0]!) === '杨家坪街道')
    // Sheet 2 has its columns reversed and a merged title row above the header.
    const reversed = (row: Cell[]) => [...row].reverse()
    const book = new ExcelJS.Workbook()
    const a = book.addWorksheet('石桥铺街道')
    for (const row of [header!, ...first]) a.addRow(row)
    const b = book.addWorksheet('杨家坪街道')
    b.addRow(['杨家坪街道网格群名册'])
    b.mergeCells('A1:E1')
    for (const row of [header!, ...second]) b.addRow(reversed(row))
    const notes = book.addWorksheet('说明')
    notes.addRow(['列', '是否必填', '说明'])
    notes.addRow(['路径', '必填', '从区开始的单位名称'])
    const bytes = new Uint8Array(await book.xlsx.writeBuffer())
    const result = await importNetwork(t.db, bytes, 'district.xlsx')
    expect(result.ok).toBe(true)
    expect(await network(t.db)).toEqual(csvNetwork)
  })

  it('refuses a workbook with an error on sheet 2 row 5 whole, naming the sheet and the row', async () => {
    const t = await fresh()
    const second = sampleRows.filter((r) => r[0]!.startsWith('九龙坡区/杨家坪街道'))
    const bad = second.map((row) => [...row])
    bad[3]![1] = '宫殿' // sheet row 5: the header is row 1
    bad[3]![0] = `${bad[3]![0]}` // unchanged path
    const bytes = await workbook(
      { name: '区和石桥铺', rows: [header!, ...sampleRows.filter((r) => !second.includes(r))] },
      { name: '杨家坪街道', rows: [header!, ...bad] },
    )
    const result = await importNetwork(t.db, bytes, 'district.xlsx')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toEqual([
      { sheet: '杨家坪街道', line: 5, reason: expect.stringMatching(/^阵地「宫殿」无效/) },
    ])
    expect(await unitCount(t.db)).toBe(0)

    // The CLI prints it as 工作表「…」第 N 行, and the same path on two sheets names both.
    const file = join(dir, 'bad.xlsx')
    writeFileSync(file, bytes)
    const cli = await runCli(networkImport, { DATABASE_URL: t.url }, [file])
    expect(cli.code).toBe(1)
    expect(cli.lines[0]).toMatch(/^工作表「杨家坪街道」第 5 行: 阵地「宫殿」无效/)
    const twice = await workbook(
      { name: '甲', rows: [header!, sampleRows[0]!, sampleRows[1]!] },
      { name: '乙', rows: [header!, ['九龙坡区/石桥铺街道']] },
    )
    const dup = await importNetwork(t.db, twice, 'twice.xlsx')
    expect(!dup.ok && dup.errors).toEqual([
      { sheet: '乙', line: 2, reason: '路径重复（工作表「甲」第 3 行已定义）' },
    ])
    expect(await unitCount(t.db)).toBe(0)
  })

  it('writes a template whose example row imports on its own', async () => {
    const t = await fresh()
    const file = join(dir, '模板.xlsx')
    const written = await runCli(networkTemplate, {}, [], { out: file })
    expect(written.code).toBe(0)
    const book = new ExcelJS.Workbook()
    await book.xlsx.load(readFileSync(file) as never)
    expect(book.worksheets.map((s) => s.name)).toEqual(['名册', '填写说明'])
    const roster = book.worksheets[0]!
    expect(roster.getRow(1).values).toEqual([undefined, ...header!])
    expect(roster.getRow(2).values).toEqual([undefined, ...sampleRows[0]!])
    expect(Object.values(TEMPLATE_EXAMPLE)).toEqual(sampleRows[0])
    expect(book.worksheets[1]!.getColumn(1).values).toEqual(
      expect.arrayContaining(['路径', '阵地', '群', '机器人', '成员']),
    )
    const imported = await runCli(networkImport, { DATABASE_URL: t.url }, [file])
    expect(imported.code).toBe(0)
    expect(imported.lines.slice(0, 5)).toEqual([
      '单位 1 新增 / 0 未变',
      '群 1 新增 / 0 未变',
      '机器人账号 1 新增 / 0 未变',
      '成员 2 新增 / 0 未变',
      '角色 2 新增 / 0 未变',
    ])
  })

  it('refuses a file that is not a workbook in one line, before touching the database', async () => {
    const file = join(dir, 'district.xlsx')
    writeFileSync(file, '路径\n九龙坡区\n')
    const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }
    await expect(runCli(networkImport, env, [file])).rejects.toThrow(
      /^district\.xlsx 不是有效的 \.xlsx 工作簿（不是 zip 格式）；[^\n]*$/,
    )
    writeFileSync(file, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))
    await expect(runCli(networkImport, env, [file])).rejects.toThrow(/旧版 \.xls\/\.et 格式/)
    writeFileSync(file, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]))
    await expect(runCli(networkImport, env, [file])).rejects.toThrow(/zip 结构已损坏/)
    const t = await fresh()
    const result = await importNetwork(t.db, new TextEncoder().encode('not a zip'), 'a.xlsx')
    expect(result).toEqual({ ok: false, errors: [{ line: 0, reason: expect.any(String) }] })
  })

  it('takes cached formula results and integers as text, refuses dates, merges and bare formulas', async () => {
    const t = await fresh()
    const book = new ExcelJS.Workbook()
    const sheet = book.addWorksheet('表1')
    sheet.addRow(['路径', '阵地', '群', '机器人', '成员'])
    sheet.addRow(['九龙坡区', '中心', 10086, 12345, '王芳:宣传员:wxid_wangfang']) // 2 numbers
    sheet.addRow([{ formula: '"九龙坡区/"&"甲街道"', result: '九龙坡区/甲街道' }, '所']) // 3
    sheet.addRow([{ formula: 'A3&"/乙社区"' } as Cell, '站']) // 4 no cached value
    sheet.addRow(['九龙坡区/丙街道', new Date(Date.UTC(2026, 0, 1))]) // 5 a date
    sheet.addRow(['九龙坡区/丁街道', '所', '丁群', 'bot-a']) // 6
    sheet.addRow(['九龙坡区/戊街道', '所', '戊群', '']) // 7 bot merged from row 6
    sheet.mergeCells('D6:D7')
    sheet.addRow(['九龙坡区/己街道', 1.5]) // 8 a fraction
    sheet.addRow(['九龙坡区/庚街道', { error: '#N/A' } as Cell]) // 9 an error value
    sheet.addRow(['九龙坡区/辛街道', true]) // 10 a boolean
    const bytes = new Uint8Array(await book.xlsx.writeBuffer())
    const result = await importNetwork(t.db, bytes, 'hostile.xlsx')
    expect(result.ok).toBe(false)
    if (result.ok) return
    const at = (line: number) => result.errors.filter((e) => e.line === line).map((e) => e.reason)
    expect(result.errors.every((e) => e.sheet === '表1')).toBe(true)
    expect([...new Set(result.errors.map((e) => e.line))]).toEqual([4, 5, 6, 7, 8, 9, 10])
    expect(at(4)[0]).toMatch(/^单元格 A4 是公式且没有保存计算结果/)
    expect(at(5)).toEqual([expect.stringMatching(/^单元格 B5 是日期，应为文本/)])
    expect(at(6)).toEqual(['单元格 D6:D7 是合并单元格，请取消合并并在每一行填写完整'])
    expect(at(7)).toEqual(['单元格 D6:D7 是合并单元格，请取消合并并在每一行填写完整'])
    expect(at(8)[0]).toMatch(/^单元格 B8 是数字 1.5，无法准确当作文本/)
    expect(at(9)[0]).toMatch(/^单元格 B9 的值是错误 #N\/A/)
    expect(at(10)[0]).toMatch(/^单元格 B10 是 TRUE\/FALSE/)
    expect(await unitCount(t.db)).toBe(0)

    // Without the bad rows, the numbers are the text they show and the formula its result.
    for (let r = 10; r >= 4; r--) sheet.spliceRows(r, 1)
    sheet.unMergeCells('D6:D7')
    const good = new Uint8Array(await book.xlsx.writeBuffer())
    expect(await importNetwork(t.db, good, 'good.xlsx')).toMatchObject({ ok: true })
    const net = await network(t.db)
    expect(net.units.map((u) => u.path)).toEqual(['九龙坡区', '九龙坡区/甲街道'])
    expect(net.groups).toEqual([
      { topic: '10086', kind: 'residents', unit: '九龙坡区', bot: '12345' },
    ])
  })

  it('reports a bad header cell of a workbook as the CSV does', async () => {
    const t = await fresh()
    const bytes = await workbook({
      name: '表1',
      rows: [
        ['路径', '阵第'],
        ['九龙坡区', '中心'],
      ],
    })
    expect(await importNetwork(t.db, bytes, 'typo.xlsx')).toEqual({
      ok: false,
      errors: [{ sheet: '表1', line: 1, reason: expect.stringMatching(/^未知的列「阵第」/) }],
    })
    const none = await workbook({
      name: '表1',
      rows: [
        ['单位', '群'],
        ['九龙坡区', '区群'],
      ],
    })
    expect(await importNetwork(t.db, none, 'none.xlsx')).toEqual({
      ok: false,
      errors: [{ line: 0, reason: expect.stringMatching(/^工作簿中没有表头含「路径」列的工作表/) }],
    })
  })

  it('refuses zip bombs, honest or lying about their size, before unzipping them', async () => {
    const t = await fresh()
    const xml = Buffer.alloc(40 * 1024 * 1024, 0x20) // 40 MB of spaces: 40 KB deflated
    const honest = zipOf('xl/worksheets/sheet1.xml', xml, xml.length)
    expect(honest.length).toBeLessThan(100_000)
    expect(await importNetwork(t.db, honest, 'bomb.xlsx')).toEqual({
      ok: false,
      errors: [{ line: 0, reason: expect.stringMatching(/^工作簿解压后超过 32 MB/) }],
    })
    const lying = zipOf('xl/worksheets/sheet1.xml', xml, 1000)
    expect(await importNetwork(t.db, lying, 'bomb.xlsx')).toEqual({
      ok: false,
      errors: [{ line: 0, reason: expect.stringMatching(/与声明的大小不符/) }],
    })
  })

  it('refuses a sheet with more rows than any district has', async () => {
    const book = new ExcelJS.Workbook()
    const sheet = book.addWorksheet('巨大')
    sheet.addRow(['路径'])
    for (let r = 0; r < MAX_WORKBOOK_ROWS; r++) sheet.addRow(['x'])
    const bytes = new Uint8Array(await book.xlsx.writeBuffer())
    const t = await fresh()
    expect(await importNetwork(t.db, bytes, 'big.xlsx')).toEqual({
      ok: false,
      errors: [{ line: 0, reason: expect.stringMatching(/^工作簿超过 100,000 行，拒绝导入/) }],
    })
  })
})
