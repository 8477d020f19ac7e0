import { spawn } from 'node:child_process'
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
