import { openDatabase } from '../../db/client.ts'
import type { CliCommand } from '../command.ts'

export const dbMigrate: CliCommand = {
  name: 'db migrate',
  usage: 'db migrate',
  summary: '执行数据库迁移（DATABASE_URL 未设置时使用内嵌 PGlite）',
  async run({ config, out }) {
    const database = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max: 1 })
    try {
      await database.migrate()
      out(`数据库已迁移 (${database.kind})`)
    } finally {
      await database.close()
    }
    return 0
  },
}
