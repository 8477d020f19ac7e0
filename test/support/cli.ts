import { spawn } from 'node:child_process'
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

const BIN = new URL('../../bin/quanqun.js', import.meta.url).pathname

/** Runs bin/quanqun.js in a process of its own; killed after `timeoutMs`. */
export function runBin(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8')
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8')
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
