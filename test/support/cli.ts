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

/** A long-running bin/quanqun.js (a role), its log lines kept for the test to wait on. */
export interface BinProcess {
  child: ReturnType<typeof spawn>
  /** Every stderr line so far (JSON log lines, or text). */
  lines: string[]
  /** Resolves with the first line, seen or to come, matching `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  exited: Promise<number | null>
  /** SIGTERM (a clean stop) or SIGKILL (a crash); resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts bin/quanqun.js with `args`; stop it in afterAll/afterEach, even when a test failed. */
export function startBin(args: string[], env: NodeJS.ProcessEnv): BinProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiting = new Set<{ pattern: RegExp; resolve: (line: string) => void }>()
  let rest = ''
  const onData = (c: Buffer) => {
    const parts = (rest + c.toString('utf8')).split('\n')
    rest = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      if (process.env.TEST_BIN_LOG) process.stderr.write(`[${args[0]} ${child.pid}] ${line}\n`)
      for (const w of waiting) {
        if (!w.pattern.test(line)) continue
        waiting.delete(w)
        w.resolve(line)
      }
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  return {
    child,
    lines,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      const seen = lines.find((l) => pattern.test(l))
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const w = { pattern, resolve }
        waiting.add(w)
        setTimeout(() => {
          if (!waiting.delete(w)) return
          reject(
            new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`),
          )
        }, timeoutMs).unref()
      })
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
