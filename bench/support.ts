import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

export interface BenchRow {
  bench: string
  metric: string
  quanqun: string
  baseline: string
  ratio: string
  target: string
  met: boolean | undefined
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** Runs a bench script in its own process (so RSS is its own) and returns its last JSON line. */
export async function runChild<T>(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<T> {
  const path = fileURLToPath(new URL(script, import.meta.url))
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`${script} exited with ${code}`)
  const last = out.trim().split('\n').at(-1)
  return JSON.parse(last ?? '{}') as T
}

/**
 * Wall-clock spans by name (count, total, max), for finding where a benchmark's time goes without
 * a profiler: `await spans.time('markSent', () => markSent(db, id))`.
 */
export class Spans {
  private readonly byName = new Map<string, { n: number; ms: number; max: number }>()

  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now()
    try {
      return await fn()
    } finally {
      this.add(name, performance.now() - t0)
    }
  }

  add(name: string, ms: number): void {
    const s = this.byName.get(name) ?? { n: 0, ms: 0, max: 0 }
    s.n++
    s.ms += ms
    s.max = Math.max(s.max, ms)
    this.byName.set(name, s)
  }

  /** One line per span: count, mean and max in ms, total in s. */
  report(): string {
    return [...this.byName]
      .map(
        ([name, s]) =>
          `${name}: ${s.n} × ${(s.ms / s.n).toFixed(2)} ms (max ${s.max.toFixed(0)} ms, total ${(s.ms / 1000).toFixed(1)} s)`,
      )
      .join('\n')
  }
}

/**
 * Runs `fn` under the V8 CPU profiler when `file` is given (BENCH_PROFILE=dir in the children),
 * writing a .cpuprofile that Chrome DevTools or speedscope opens: the setup is left out.
 */
export async function profiled<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (!file) return fn()
  const { Session } = await import('node:inspector/promises')
  const { writeFile } = await import('node:fs/promises')
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    await writeFile(file, JSON.stringify(profile))
    session.disconnect()
  }
}
