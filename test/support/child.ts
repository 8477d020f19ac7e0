import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * Starts a test's entry point in a process of its own, which prints JSON lines with an `event` on
 * stdout, and resolves each line to whoever waits for its event; `all` keeps every line in order.
 * `tell` writes a JSON line to its stdin, for a child that takes commands there.
 */
export function spawnChild(
  script: string,
  env: Record<string, string>,
): {
  child: ChildProcess
  next: (event: string) => Promise<Record<string, unknown>>
  all: Record<string, unknown>[]
  tell: (command: unknown) => void
} {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const all: Record<string, unknown>[] = []
  const seen: Record<string, unknown>[] = []
  const waiting: { event: string; resolve: (e: Record<string, unknown>) => void }[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as Record<string, unknown>
    all.push(e)
    const i = waiting.findIndex((w) => w.event === e.event)
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(e)
    else seen.push(e)
  })
  return {
    child,
    all,
    tell: (command) => child.stdin!.write(`${JSON.stringify(command)}\n`),
    next: (event) =>
      new Promise((resolve) => {
        const i = seen.findIndex((e) => e.event === event)
        if (i >= 0) resolve(seen.splice(i, 1)[0]!)
        else waiting.push({ event, resolve })
      }),
  }
}
