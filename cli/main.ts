import { loadConfig } from '../core/config.ts'
import { withInstancePrefix } from '../core/instance-prefix.ts'
import { createLogger } from '../core/logger.ts'
import { parseCommandArgs } from './argv.ts'
import { type CliCommand, UsageError } from './command.ts'
import { commands } from './commands/index.ts'

function help(list: readonly CliCommand[]): string {
  return [
    'quanqun — 文明实践五级圈群机器人',
    '',
    '用法: quanqun <命令> [参数]',
    '',
    ...list.map((c) => `  ${c.usage}\n      ${c.summary}`),
  ].join('\n')
}

/** Finds the longest command name that prefixes argv ("db migrate" before "db"). */
function match(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ')
    const command = commands.find((c) => c.name === name)
    if (command) return { command, rest: argv.slice(words) }
  }
  return undefined
}

async function main(argv: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`)
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    out(help(commands))
    return 0
  }
  const found = match(argv)
  if (!found) {
    process.stderr.write(`未知命令: ${argv.slice(0, 2).join(' ')}（quanqun --help 查看命令）\n`)
    return 2
  }
  const { args, flags } = parseCommandArgs(found.command, found.rest)
  if (flags.help) {
    out(`用法: quanqun ${found.command.usage}\n${found.command.summary}`)
    return 0
  }
  const config = withInstancePrefix(loadConfig())
  // A one-shot command's success is its output: no info lines around it unless asked for.
  const quiet = !found.command.service && process.env.LOG_LEVEL === undefined
  const log = createLogger(quiet ? { logLevel: 'warn' } : config)
  return (await found.command.run({ args, flags, config, log, out })) ?? 0
}

// A reader that stops early (`quanqun classify --eval … | head`) is not an error of ours: end
// quietly, as coreutils do, instead of an unhandled EPIPE with a stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? 0)
})

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    // One line for the user; the stack only when asked for, since most failures are input or setup.
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`错误: ${message}\n`)
    if (process.env.QUANQUN_DEBUG && error instanceof Error)
      process.stderr.write(`${error.stack}\n`)
    process.exitCode = error instanceof UsageError ? 2 : 1
    // A role that failed to start may leave a client behind that never lets go (a puppet's gRPC
    // channel to an endpoint that never answers): the process ends all the same.
    setTimeout(() => process.exit(), 1_000).unref()
  },
)
