import type { CliCommand } from '../command.ts'
import { withDatabase } from '../with-database.ts'

export const dbMigrate: CliCommand = {
  name: 'db migrate',
  usage: 'db migrate',
  summary: '执行数据库迁移（DATABASE_URL 未设置时使用内嵌 PGlite）',
  async run({ config, out }) {
    await withDatabase(config, async (database) => {
      out(`数据库已迁移 (${database.kind})`)
    })
    return 0
  },
}
