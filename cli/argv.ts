import { parseArgs } from 'node:util'
import { type CliCommand, type CommandContext, UsageError } from './command.ts'

/** Every command takes --help. */
const HELP = { help: { type: 'boolean' } } as const

/** The option a parseArgs error names ("Unknown option '--x'" → "--x"). */
function optionIn(message: string): string {
  return /'(-{1,2}[^'\s]+)/.exec(message)?.[1] ?? ''
}

/**
 * A command's arguments through node:util parseArgs against the options the command declares:
 * anything else, or an option missing its value, is refused with one line and the usage.
 */
export function parseCommandArgs(
  command: Pick<CliCommand, 'usage' | 'options'>,
  argv: readonly string[],
): Pick<CommandContext, 'args' | 'flags'> {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...command.options, ...HELP },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error
    const option = optionIn((error as Error).message)
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `未知选项 ${option}`
        : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
          ? `选项 ${option} 的值不对（缺少值，或不该带值）`
          : '参数有误'
    throw new UsageError(`${what}。用法: quanqun ${command.usage}`)
  }
  const flags: Record<string, string | true> = {}
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') flags[name] = value
    else if (value === true) flags[name] = true
  }
  return { args: parsed.positionals, flags }
}
