import { type ChildProcess, spawn } from 'node:child_process'
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
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

/**
 * Completions per second over the middle 80 % of a run (from the 10th to the 90th percentile of
 * the completion times): the rate the system keeps up, without the start and the drain. A run's
 * end-to-end rate stays below the offered rate by its last item's latency, whatever the system.
 */
export function steadyRate(doneAt: readonly number[]): number {
  const sorted = [...doneAt].sort((a, b) => a - b)
  const from = Math.floor(sorted.length * 0.1)
  const to = Math.floor(sorted.length * 0.9)
  const seconds = (sorted[to]! - sorted[from]!) / 1000
  return seconds > 0 ? (to - from) / seconds : 0
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** A bench script in a process of its own, its stdout piped, its stderr on the console. */
export function spawnChild(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: 'ignore' | 'pipe',
): ChildProcess {
  const path = fileURLToPath(new URL(script, import.meta.url))
  // BENCH_NODE_ARGS: extra node flags for the child (--trace-gc, V8 heap flags), which
  // NODE_OPTIONS does not accept.
  const extra = process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []
  const flags = ['--expose-gc', ...extra, '--import', 'tsx', path, ...args]
  return spawn(process.execPath, flags, {
    env: { ...process.env, ...env },
    stdio: [stdin, 'pipe', 'inherit'],
  })
}

/** Runs a bench script in its own process (so RSS is its own) and returns its last JSON line. */
export async function runChild<T>(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<T> {
  const child = spawnChild(script, args, env, 'ignore')
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`${script} exited with ${code}`)
  const lines = out.trim().split('\n')
  const at = lines.findLastIndex((l) => l.startsWith('{'))
  const last = at < 0 ? undefined : lines.splice(at, 1)[0]
  // Anything else on stdout (a V8 trace asked for with BENCH_NODE_ARGS) goes to the console.
  if (lines.length) process.stderr.write(`${lines.join('\n')}\n`)
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
  const { mkdir, writeFile } = await import('node:fs/promises')
  const { dirname } = await import('node:path')
  const session = new Session()
  session.connect()
  // A .heapprofile samples allocations; a .promoted.heapprofile keeps only those that outlived the
  // young generation (promoted to the old one, where only a full collection frees them).
  const heap = file.endsWith('.heapprofile')
  if (heap) {
    await session.post('HeapProfiler.enable')
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: !file.endsWith('.promoted.heapprofile'),
    } as never)
  } else {
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  try {
    return await fn()
  } finally {
    const { profile } = heap
      ? await session.post('HeapProfiler.stopSampling')
      : await session.post('Profiler.stop')
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, JSON.stringify(profile))
    session.disconnect()
  }
}

/**
 * CPU seconds used so far by this process, by Redis and by PostgreSQL (Linux), including the
 * backends that have exited since (a baseline's pool is closed at its end).
 */
export interface CpuSample {
  node: number
  redis: number
  postgres: number
}

export async function cpuSample(): Promise<CpuSample> {
  const { readdir, readFile } = await import('node:fs/promises')
  const own = process.cpuUsage()
  const sample: CpuSample = { node: (own.user + own.system) / 1e6, redis: 0, postgres: 0 }
  const ticks = 100 // USER_HZ on Linux
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    // comm may hold spaces: the fields after it start at the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime + stime, plus cutime + cstime: an exited backend's time is only in its parent's.
    const seconds =
      (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticks
    if (comm.startsWith('redis-server')) sample.redis += seconds
    else if (comm.startsWith('postgres')) sample.postgres += seconds
  }
  return sample
}

/** CPU seconds spent between two samples, as "node 1.2 + redis 0.4 + postgres 0.9 s". */
export function cpuSpent(from: CpuSample, to: CpuSample): string {
  const d = (k: keyof CpuSample) => (to[k] - from[k]).toFixed(1)
  return `node ${d('node')} + redis ${d('redis')} + postgres ${d('postgres')} s`
}
