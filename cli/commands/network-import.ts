import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { performance } from 'node:perf_hooks'
import { importRoster, readRoster } from '../../network/import.ts'
import type { ImportError } from '../../network/import-result.ts'
import { errorLine, importMessages, importSummary, usageMessages } from '../../network/templates.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'

/** `第 N 行: …`, prefixed with the worksheet for a workbook: `工作表「石桥铺」第 12 行: …`. */
function describeError(error: ImportError): string {
  return error.sheet === undefined
    ? errorLine(error)
    : `工作表「${error.sheet}」${errorLine(error)}`
}

export const networkImport: CliCommand = {
  name: 'network import',
  usage: 'network import <csv 或 xlsx>',
  summary:
    '从 CSV 或 Excel/WPS 工作簿 (.xlsx) 导入区的五级网络（有任何错误则整份不导入；格式见 fixtures/README.md）',
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
    // Read before the database is opened: a file that is no roster at all is one line.
    const roster = await readRoster(bytes, basename(file))
    if (!roster.ok) throw new UsageError(roster.reason)
    return withDatabase(
      config,
      async ({ db }) => {
        const started = performance.now()
        const result = await importRoster(db, roster)
        const ms = performance.now() - started
        if (!result.ok) {
          for (const error of result.errors) out(describeError(error))
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
