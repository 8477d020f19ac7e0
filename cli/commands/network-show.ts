import { countGroupsByTier, countUnitsByTier, findUnitByPath } from '../../network/queries.ts'
import { showMessages, subtreeSummary, usageMessages } from '../../network/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'

export const networkShow: CliCommand = {
  name: 'network show',
  usage: 'network show <路径>',
  summary: '按层级统计某单位及其下级的单位数和群数',
  async run({ args, config, out }) {
    // A path may contain spaces if the shell split it: the words are one path.
    const path = args.join(' ').trim()
    if (!path) throw new UsageError(usageMessages.showNeedsPath)
    return withDatabase(config, async ({ db }) => {
      const unit = await findUnitByPath(db, path)
      if (!unit) {
        out(showMessages.notFound(path))
        return 1
      }
      const [units, groups] = await Promise.all([
        countUnitsByTier(db, unit.id),
        countGroupsByTier(db, unit.id),
      ])
      for (const line of subtreeSummary(unit.path, unit.tier, units, groups)) out(line)
      return 0
    })
  },
}
