import type { Config } from '../core/config.ts'
import type { Logger } from '../core/logger.ts'

/** What every CLI command gets: parsed arguments and the validated config; output goes to `out`. */
export interface CommandContext {
  args: string[]
  flags: Record<string, string | true>
  config: Config
  log: Logger
  out: (line: string) => void
}

/** The options a command takes: `--name value` (string) or `--name` alone (boolean). */
type CliOptions = Readonly<Record<string, { type: 'string' | 'boolean' }>>

/** A CLI command as data: `name` may have two words ("db migrate"). */
export interface CliCommand {
  name: string
  usage: string
  summary: string
  /** Every option it accepts; any other is refused before it runs. */
  options?: CliOptions
  /**
   * Runs until stopped (a process role) and logs what it does at info level. A one-shot command
   * prints its answer on stdout and logs only warnings unless LOG_LEVEL asks for more.
   */
  service?: true
  run(ctx: CommandContext): Promise<number | undefined>
}

/** An error the user caused (bad argument, missing file): printed as one line, exit 1. */
export class UsageError extends Error {
  override name = 'UsageError'
}
