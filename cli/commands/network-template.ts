import { writeFile } from 'node:fs/promises'
import { rosterTemplate } from '../../network/roster-template.ts'
import { type CliCommand, UsageError } from '../command.ts'

const messages = {
  usage: '用法: quanqun network template --out <文件.xlsx>',
  notXlsx: (file: string) => `--out 应为 .xlsx 文件名，收到 ${file}`,
  written: (file: string) => `已生成名册模板 ${file}（表头、一行示例，第二个工作表是填写说明）`,
}

export const networkTemplate: CliCommand = {
  name: 'network template',
  usage: 'network template --out <file.xlsx>',
  summary:
    '生成空白的网络名册 Excel 模板（表头、一行示例和各列的填写说明），填好后用 network import 导入',
  options: { out: { type: 'string' } },
  async run({ flags, out }) {
    const file = flags.out
    if (file === undefined || file === true) throw new UsageError(messages.usage)
    if (!/\.xlsx$/i.test(file)) throw new UsageError(messages.notXlsx(file))
    await writeFile(file, await rosterTemplate())
    out(messages.written(file))
    return 0
  },
}
