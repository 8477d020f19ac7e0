import { defaultCatalogUrl, loadCatalog, readCatalogFile } from '../../orders/catalogue.ts'
import { cliTexts } from '../../orders/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'

export const ordersCatalog: CliCommand = {
  name: 'orders catalog',
  usage: 'orders catalog [服务目录.json]',
  summary: '载入服务目录（默认 fixtures/service-catalog.json；按类别代码更新，可重复执行）',
  async run({ args, config, out }) {
    const file = args[0] ?? defaultCatalogUrl.pathname
    let catalog: Awaited<ReturnType<typeof readCatalogFile>>
    try {
      catalog = await readCatalogFile(file)
    } catch (error) {
      // A missing file or a bad catalogue is the user's to fix: one line, exit 1.
      throw new UsageError(error instanceof Error ? error.message : String(error))
    }
    return withDatabase(config, async ({ db }) => {
      out(cliTexts.catalogLoaded(await loadCatalog(db, catalog), file))
      return 0
    })
  },
}
