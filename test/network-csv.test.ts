import { describe, expect, it } from 'vitest'
import {
  DEFAULT_GROUPS,
  districtShape,
  generateDistrict,
  generateDistrictCsv,
} from '../fixtures/generate-district.ts'
import { MAX_LINE_BYTES, readCsv } from '../network/csv-reader.ts'
import { EMPTY_NETWORK, type KnownNetwork, planImport } from '../network/import-plan.ts'
import { parseRows } from '../network/import-rows.ts'
import { ancestorPaths, escapeLike, normalizePath } from '../network/names.ts'
import { concat, utf8 } from './support/bytes.ts'

/** Reads, parses and plans a CSV text against `known`, as the import does before writing. */
function check(text: string | Uint8Array, known: KnownNetwork = EMPTY_NETWORK) {
  const read = readCsv(typeof text === 'string' ? utf8(text) : text)
  const parsed = parseRows(read.records)
  const planned = planImport(parsed.rows, known)
  const errors = [...read.errors, ...parsed.errors, ...(planned.ok ? [] : planned.errors)]
  return { errors, plan: planned.ok ? planned.plan : undefined }
}

describe('readCsv', () => {
  it('skips a BOM, handles CRLF, quoted commas, doubled quotes and quoted line breaks', () => {
    const bytes = concat(
      new Uint8Array([0xef, 0xbb, 0xbf]),
      '路径,群\r\n"a,b","say ""hi""\r\nthere"\r\n\r\nc,d\n',
    )
    expect(readCsv(bytes)).toEqual({
      records: [
        { line: 1, fields: ['路径', '群'] },
        { line: 2, fields: ['a,b', 'say "hi"\nthere'] },
        { line: 5, fields: ['c', 'd'] },
      ],
      errors: [],
    })
  })

  it('refuses a 10 MB line by its length and keeps reading the next lines', () => {
    const long = new Uint8Array(10 * 1024 * 1024).fill(0x61)
    const started = performance.now()
    const result = readCsv(concat('h\n', long, '\n"x\ny"\nz\n'))
    expect(performance.now() - started).toBeLessThan(1000)
    expect(result.errors).toEqual([{ line: 2, reason: expect.stringContaining('行过长') }])
    expect(result.records.map((r) => r.line)).toEqual([1, 3, 5])
  })

  it('refuses a quoted record that grows past the limit over many short lines', () => {
    const line = `${'b'.repeat(1000)}\n`
    const result = readCsv(utf8(`h\n"${line.repeat(MAX_LINE_BYTES / 1000 + 2)}"\nok\n`))
    expect(result.errors).toEqual([{ line: 2, reason: expect.stringContaining('记录过长') }])
    expect(result.records.at(-1)).toEqual({ line: 70, fields: ['ok'] })
  })

  it('reports invalid UTF-8 with its line number and still finds where quoted records end', () => {
    const bytes = concat('h\n"a\n', new Uint8Array([0x62, 0xff, 0x22, 0x0a]), 'next\n')
    expect(readCsv(bytes)).toEqual({
      records: [
        { line: 1, fields: ['h'] },
        { line: 4, fields: ['next'] },
      ],
      errors: [{ line: 3, reason: expect.stringContaining('UTF-8') }],
    })
  })

  it('reports a quote left open at the end of the file at the line where it opened', () => {
    expect(readCsv(utf8('h\n"open\nmore\n')).errors).toEqual([{ line: 2, reason: '引号未闭合' }])
  })
})

describe('parseRows and planImport', () => {
  it('reads English headers, full-width text, kinds, bodies, roles and inherited bots', () => {
    const { errors, plan } = check(
      [
        'PATH, Body ,groups,BOT,members,',
        '九龙坡区,centre,区群#staff,bot-a,王芳:宣传员:wxid_wangfang',
        '九龙坡区／石桥铺街道 ,所,石桥铺群；石桥铺工作群＃工作,,刘洋：propagandist：ｗｘｉｄ_liuyang,,',
        '九龙坡区/石桥铺街道/科园社区,站,科园群,bot-b,',
        '九龙坡区/石桥铺街道/科园社区/第１网格,,网格群,,',
      ].join('\n'),
    )
    expect(errors).toEqual([])
    expect(plan!.units.map((u) => [u.path, u.tier, u.body])).toEqual([
      ['九龙坡区', 1, 'centre'],
      ['九龙坡区/石桥铺街道', 2, 'institute'],
      ['九龙坡区/石桥铺街道/科园社区', 3, 'station'],
      ['九龙坡区/石桥铺街道/科园社区/第1网格', 4, undefined],
    ])
    expect(plan!.groups.map((g) => [g.topic, g.kind, g.bot])).toEqual([
      ['区群', 'staff', 'bot-a'],
      ['石桥铺群', 'residents', 'bot-a'],
      ['石桥铺工作群', 'workers', 'bot-a'],
      ['科园群', 'residents', 'bot-b'],
      ['网格群', 'residents', 'bot-b'],
    ])
    expect(plan!.members).toEqual([
      { wechatId: 'wxid_wangfang', name: '王芳' },
      { wechatId: 'wxid_liuyang', name: '刘洋' },
    ])
    expect(plan!.botAccounts.sort()).toEqual(['bot-a', 'bot-b'])
  })

  it('takes parents and the inherited bot from the database', () => {
    const known: KnownNetwork = {
      unitPaths: new Set(['区', '区/街道']),
      topicUnits: new Map([['旧群', '区/街道/社区']]),
      unitBots: new Map([['区/街道', 'bot-db']]),
    }
    const { errors, plan } = check('路径,群\n区/街道/社区,旧群;新群\n', known)
    expect(errors).toEqual([])
    expect(plan!.groups).toEqual([
      { topic: '旧群', unitPath: '区/街道/社区', kind: 'residents', bot: 'bot-db' },
      { topic: '新群', unitPath: '区/街道/社区', kind: 'residents', bot: 'bot-db' },
    ])
  })

  it('lists every bad row with its line and a reason in Chinese', () => {
    const known: KnownNetwork = {
      unitPaths: new Set(['区']),
      topicUnits: new Map([['已有群', '区/别处']]),
      unitBots: new Map(),
    }
    const { errors, plan } = check(
      [
        '路径,阵地,群,机器人,成员',
        '区/甲,所,甲群,,张三:志愿者:wxid_zs', // 2 fine
        '区/乙/丙/丁,,,,', // 3 跳级
        '别区/乙,,,,', // 4 未知上级
        '区/甲,,,,', // 5 duplicate
        ' ,,,,', // 6 empty path
        '区/ /丙,,,,', // 7 empty name
        'a/b/c/d/e/f,,,,', // 8 six tiers
        `区/${'长'.repeat(101)},,,,`, // 9 long name
        '区/坏\u200b名,,,,', // 10 invisible character
        '区/戊,宫,,,', // 11 bad body
        '区/己,,己群#群主,,', // 12 bad kind
        '区/庚,,甲群,,', // 13 topic used on line 2
        '区/辛,,已有群,,', // 14 topic of another unit in the database
        '区/壬,,,,张三:志愿者:wxid_zs;李四:队长:wxid_ls;王五:志愿者:;赵六', // 15
        '区/癸,,,,张四:志愿者:wxid_zs', // 16 same id, other name
        '区/子,,,,,多余', // 17 extra field
      ].join('\n'),
      known,
    )
    expect(plan).toBeUndefined()
    const byLine = (line: number) => errors.filter((e) => e.line === line).map((e) => e.reason)
    expect([...new Set(errors.map((e) => e.line))].sort((a, b) => a - b)).toEqual([
      3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
    ])
    expect(byLine(3)).toEqual(['跳级：上级「区/乙/丙」未定义（最近的已知上级是「区」）'])
    expect(byLine(4)).toEqual(['未知上级「别区」（文件和数据库中都没有）'])
    expect(byLine(5)).toEqual(['路径重复（第 2 行已定义）'])
    expect(byLine(6)).toEqual(['路径为空'])
    expect(byLine(7)).toEqual(['路径第 2 级的名称为空'])
    expect(byLine(8)).toEqual(['层级超过 5 级（共 6 级）'])
    expect(byLine(9)[0]).toMatch(/超过 100 个字符$/)
    expect(byLine(10)[0]).toMatch(/含控制字符或不可见字符$/)
    expect(byLine(11)[0]).toMatch(/^阵地「宫」无效/)
    expect(byLine(12)[0]).toMatch(/^群「己群」的类型「群主」无效/)
    expect(byLine(13)).toEqual(['群「甲群」已用于第 2 行的单位'])
    expect(byLine(14)).toEqual(['群「已有群」已属于单位「区/别处」'])
    expect(byLine(15)).toEqual([
      expect.stringMatching(/^角色「队长」无效/),
      '成员「王五」缺少微信号',
      '成员「赵六」格式应为 姓名:角色:微信号',
    ])
    expect(byLine(16)).toEqual(['微信号「wxid_zs」在第 2 行是「张三」，此处是「张四」'])
    expect(byLine(17)).toEqual(['字段数 6 多于表头的 5 列'])
  })

  it('refuses an unknown column and a header without a path', () => {
    expect(check('路径,阵第\n区,\n').errors).toEqual([
      { line: 1, reason: expect.stringMatching(/^未知的列「阵第」/) },
    ])
    expect(check('群\n区群\n').errors).toEqual([{ line: 1, reason: '表头缺少「路径」列' }])
    expect(check('').errors).toEqual([{ line: 1, reason: expect.stringMatching(/^文件为空/) }])
  })
})

describe('names', () => {
  it('normalises typed paths and escapes LIKE wildcards', () => {
    expect(normalizePath(' 九龙坡区 ／ 石桥铺街道／第１网格 ')).toBe('九龙坡区/石桥铺街道/第1网格')
    expect(normalizePath('九龙坡区//x')).toBeUndefined()
    expect(ancestorPaths('a/b/c')).toEqual(['a/b', 'a'])
    expect(escapeLike('50%_a\\b')).toBe('50\\%\\_a\\\\b')
  })
})

describe('generateDistrictCsv', () => {
  it('is deterministic and has the Jiulongpo shape', () => {
    expect(generateDistrictCsv()).toBe(generateDistrictCsv())
    const district = generateDistrict()
    expect(district.groups).toBe(DEFAULT_GROUPS)
    expect(district.units).toBe(9_473)
    expect(district.botAccounts).toBe(22)
    expect(districtShape()).toEqual({ communities: 150, grids: 1_100, buildings: 8_200 })
    const { errors } = check(district.csv)
    expect(errors).toEqual([])
  })

  it('scales to the number of groups asked for', () => {
    const district = generateDistrict({ groups: 3_000 })
    expect(district.groups).toBe(3_000)
    expect(district.botAccounts).toBe(6)
  })
})
