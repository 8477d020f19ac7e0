import { sql } from 'drizzle-orm'
import { runChecks } from '../../app/doctor.ts'
import { openDatabase } from '../../db/client.ts'
import { probeRedis } from '../../queues/connection.ts'
import type { CliCommand } from '../command.ts'

export const doctor: CliCommand = {
  name: 'doctor',
  usage: 'doctor',
  summary:
    '上线前体检：配置、PostgreSQL 与迁移、Redis（AOF、noeviction）、服务目录、机器人账号与登录会话、时区；有 ✗ 时退出码非零',
  async run({ config, out }) {
    // No migration here: the doctor reports what is, it changes nothing.
    const database = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max: 1 })
    const db = await database.db
      .execute(sql`select 1`)
      .then(() => database.db)
      .catch(() => undefined)
    const redis = probeRedis(config, 2_000)
    await redis.connect().catch(() => {})
    try {
      const results = await runChecks({ config, db, redis })
      for (const { name, result } of results) {
        out(
          `${result.ok ? '✓' : '✗'} ${name}：${result.detail}${result.fix ? `（${result.fix}）` : ''}`,
        )
      }
      const failed = results.filter((r) => !r.result.ok).length
      out(failed === 0 ? '全部通过。' : `${failed} 项未通过。`)
      return failed === 0 ? 0 : 1
    } finally {
      redis.disconnect()
      await database.close()
    }
  },
}
