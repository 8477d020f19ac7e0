import { writeFile } from 'node:fs/promises'
import { DEFAULT_GROUPS, generateDistrict } from '../../fixtures/generate-district.ts'
import { generateMessages } from '../../network/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'

const MAX_GROUPS = 1_000_000

export const networkGenerate: CliCommand = {
  name: 'network generate',
  usage: 'network generate [--groups N] [--out file]',
  summary: `生成一个九龙坡区规模的网络 CSV（默认 ${DEFAULT_GROUPS} 个群；无 --out 时输出到标准输出）`,
  options: { groups: { type: 'string' }, out: { type: 'string' } },
  async run({ flags, out }) {
    const raw = flags.groups
    let groups = DEFAULT_GROUPS
    if (raw !== undefined) {
      const value = raw === true ? '' : raw
      groups = /^\d+$/.test(value) ? Number(value) : Number.NaN
      if (!(groups >= 1 && groups <= MAX_GROUPS))
        throw new UsageError(generateMessages.badGroups(value))
    }
    const file = flags.out
    if (file === true) throw new UsageError(generateMessages.outNeedsFile)
    const district = generateDistrict({ groups })
    if (file === undefined) {
      // Straight to stdout, not through `out`, so the CSV can be piped into a file as it is.
      process.stdout.write(district.csv)
      return 0
    }
    await writeFile(file, district.csv)
    out(generateMessages.written(file, district, Buffer.byteLength(district.csv)))
    return 0
  },
}
