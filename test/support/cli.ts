import type { CliCommand, CommandContext } from '../../cli/command.ts'
import { loadConfig } from '../../core/config.ts'
import { createLogger } from '../../core/logger.ts'

/**
 * Runs a CLI command in-process as bin/quanqun.js would, with its config read from `env` and its
 * logs silent; returns the exit code and the lines it printed.
 */
export async function runCli(
  command: Pick<CliCommand, 'run'>,
  env: Record<string, string | undefined>,
  args: string[] = [],
  flags: CommandContext['flags'] = {},
): Promise<{ code: number | undefined; lines: string[] }> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env })
  const lines: string[] = []
  const code = await command.run({
    args,
    flags,
    config,
    log: createLogger(config),
    out: (line) => lines.push(line),
  })
  return { code, lines }
}
