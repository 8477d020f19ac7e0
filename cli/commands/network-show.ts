import { openDatabase } from '../../db/client.ts'
import { countGroupsByTier, countUnitsByTier, findUnitByPath } from '../../network/queries.ts'
import { showMessages, subtreeSummary, usageMessages } from '../../network/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'

export const networkShow: CliCommand = {
  name: 'network show',
  usage: 'network show <路径>',
  summary: '按层级统计某单位及其下级的单位数和群数',
  async run({ args, config, out }) {
    // A path may contain spaces if the shell split it: the words are one path.
    const path = args.join(' ').trim()
    if (!path) throw new UsageError(usageMessages.showNeedsPath)
    const database = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max: 1 })
    try {
      // Migrating is idempotent and cheap; it lets `show` answer on a fresh data directory.
      await database.migrate()
      const unit = await findUnitByPath(database.db, path)
      if (!unit) {
        out(showMessages.notFound(path))
        return 1
      }
      const [units, groups] = await Promise.all([
        countUnitsByTier(database.db, unit.id),
        countGroupsByTier(database.db, unit.id),
      ])
      for (const line of subtreeSummary(unit.path, unit.tier, units, groups)) out(line)
      return 0
    } finally {
      await database.close()
    }
  },
}
