import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { importNetwork } from '../../network/import.ts'
import { errorLine, importMessages, importSummary, usageMessages } from '../../network/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'

export const networkImport: CliCommand = {
  name: 'network import',
  usage: 'network import <csv>',
  summary: '从 CSV 导入区的五级网络（有任何错误则整份不导入；格式见 fixtures/README.md）',
  async run({ args, config, log, out }) {
    const file = args[0]
    if (!file) throw new UsageError(usageMessages.importNeedsFile)
    let bytes: Uint8Array
    try {
      bytes = await readFile(file)
    } catch (error) {
      const why = error instanceof Error && 'code' in error ? String(error.code) : String(error)
      throw new UsageError(importMessages.readFailed(file, why))
    }
    return withDatabase(
      config,
      async ({ db }) => {
        const started = performance.now()
        const result = await importNetwork(db, bytes)
        const ms = performance.now() - started
        if (!result.ok) {
          for (const error of result.errors) out(errorLine(error))
          out(importMessages.refused(result.errors.length))
          log.warn({ file, errors: result.errors.length }, 'network import refused')
          return 1
        }
        for (const line of importSummary(result)) out(line)
        out(importMessages.done(ms))
        log.info({ file, ms: Math.round(ms), created: result.created }, 'network imported')
        return 0
      },
      2,
    )
  },
}
