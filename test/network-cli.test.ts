import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliCommand } from '../cli/command.ts'
import { networkGenerate } from '../cli/commands/network-generate.ts'
import { networkImport } from '../cli/commands/network-import.ts'
import { networkShow } from '../cli/commands/network-show.ts'
import { runCli } from './support/cli.ts'
import { createTestDatabase, type TestDatabase } from './support/pg.ts'

const samplePath = new URL('../fixtures/sample-district.csv', import.meta.url).pathname

describe('network CLI commands', () => {
  let t: TestDatabase
  let dir: string
  beforeAll(async () => {
    t = await createTestDatabase()
    dir = mkdtempSync(join(tmpdir(), 'quanqun-network-'))
  })
  afterAll(async () => {
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const run = (command: CliCommand, args: string[], flags: Record<string, string | true> = {}) =>
    runCli(command, { DATABASE_URL: t.url }, args, flags)

  it('network import prints the counts, then 0 新增 on a second run', async () => {
    const first = await run(networkImport, [samplePath])
    expect(first.code).toBe(0)
    expect(first.lines).toContain('单位 24 新增 / 0 未变')
    expect(first.lines.at(-1)).toMatch(/^导入完成，用时 \d+\.\d\d 秒$/)
    const second = await run(networkImport, [samplePath])
    expect(second.lines.slice(0, 5)).toEqual([
      '单位 0 新增 / 24 未变',
      '群 0 新增 / 27 未变',
      '机器人账号 0 新增 / 2 未变',
      '成员 0 新增 / 19 未变',
      '角色 0 新增 / 19 未变',
    ])
  })

  it('network import prints every bad row and exits 1', async () => {
    const file = join(dir, 'bad.csv')
    writeFileSync(file, '路径\n九龙坡区/甲街道\n乙区/丙街道\n九龙坡区/甲街道\n')
    const { code, lines } = await run(networkImport, [file])
    expect(code).toBe(1)
    expect(lines).toEqual([
      '第 3 行: 未知上级「乙区」（文件和数据库中都没有）',
      '第 4 行: 路径重复（第 2 行已定义）',
      '导入被拒绝：2 处错误，未写入任何数据',
    ])
    await expect(run(networkImport, [join(dir, 'missing.csv')])).rejects.toThrow(/无法读取文件/)
  })

  it('network show prints units and groups per tier of a subtree', async () => {
    expect((await run(networkShow, ['九龙坡区'])).lines).toEqual([
      '九龙坡区：区 1、街道 2、社区 3、网格 6、楼栋 12（群 27）',
      '群：区 1、街道 2、社区 6、网格 6、楼栋 12',
    ])
    expect((await run(networkShow, ['九龙坡区/石桥铺街道/科园社区'])).lines).toEqual([
      '九龙坡区/石桥铺街道/科园社区：社区 1、网格 2、楼栋 4（群 8）',
      '群：社区 2、网格 2、楼栋 4',
    ])
    const missing = await run(networkShow, ['九龙坡区/无此街道'])
    expect(missing).toEqual({ code: 1, lines: ['未找到单位「九龙坡区/无此街道」'] })
  })

  it('network generate writes a CSV that imports, and refuses a bad --groups', async () => {
    const file = join(dir, 'district.csv')
    const { code, lines } = await run(networkGenerate, [], { groups: '2500', out: file })
    expect(code).toBe(0)
    expect(lines).toEqual([
      expect.stringMatching(/^已生成 .*district\.csv：单位 [\d,]+、群 2,500、/),
    ])
    expect(readFileSync(file, 'utf8').startsWith('路径,阵地,群,机器人,成员\n')).toBe(true)
    await expect(run(networkGenerate, [], { groups: '-3' })).rejects.toThrow(/--groups/)
  })
})
