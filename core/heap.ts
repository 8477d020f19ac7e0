import { setFlagsFromString } from 'node:v8'

/**
 * How far V8 lets the old generation grow past what survived the last full collection before the
 * next one, in percent. V8's own choice (~120–180 % at 1,000 orders/s) brought a full collection
 * every 6–8 s, and on a two-core box each one stalled the orders around it for ~half a second (up
 * to 80–150 ms each: the intake p99). At 400 % they come several times rarer, for a heap that runs
 * larger between them (bench/README.md, "Intake: met since the heap growth").
 */
export const HEAP_GROWING_PERCENT = 400

/**
 * Sets the growth for this process; `QUANQUN_HEAP_GROWING_PERCENT` overrides it (0 leaves V8's own
 * choice). Called first thing by `bin/quanqun.js`, and by the benchmarks' processes to run as
 * `quanqun start` does.
 */
export function tuneHeap(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QUANQUN_HEAP_GROWING_PERCENT?.trim()
  const asked = raw === undefined || raw === '' ? HEAP_GROWING_PERCENT : Number(raw)
  const percent =
    Number.isInteger(asked) && asked >= 0 && asked <= 10_000 ? asked : HEAP_GROWING_PERCENT
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`)
  return percent
}
