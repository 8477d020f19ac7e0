import { describe, expect, it } from 'vitest'
import { Batcher } from '../core/batcher.ts'

/** A batcher that records each batch it runs and answers key × 10; 'bad' keys throw. */
function recording(opts: ConstructorParameters<typeof Batcher<number, number>>[1] = {}) {
  const batches: number[][] = []
  const batcher = new Batcher<number, number>(async (keys) => {
    batches.push([...keys])
    await new Promise((r) => setTimeout(r, 5))
    if (keys.some((k) => k < 0)) throw new Error(`bad key in ${keys.join(',')}`)
    return new Map(keys.map((k) => [k, k * 10]))
  }, opts)
  return { batcher, batches }
}

describe('Batcher (group commit)', () => {
  it('sends the keys asked for together as one batch, and what arrives meanwhile as the next', async () => {
    const { batcher, batches } = recording()
    const first = [1, 2, 3].map((k) => batcher.load(k))
    await new Promise((r) => setTimeout(r, 1))
    const second = [4, 5].map((k) => batcher.load(k))
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50])
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ])
  })

  it('runs a key asked for twice once, and answers both callers', async () => {
    const { batcher, batches } = recording()
    expect(await Promise.all([batcher.load(7), batcher.load(7)])).toEqual([70, 70])
    expect(batches).toEqual([[7]])
  })

  it('retries a failed batch one key at a time: only the bad key fails', async () => {
    const errors: number[] = []
    const { batcher, batches } = recording({ onBatchError: (_, size) => errors.push(size) })
    const results = await Promise.allSettled([1, -1, 2].map((k) => batcher.load(k)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(batches).toEqual([[1, -1, 2], [1], [-1], [2]])
    expect(errors).toEqual([3])
  })

  it('with gatherMs, waits for more keys before each batch', async () => {
    // A wide window, so a slow machine's late timers still land inside it.
    const { batcher, batches } = recording({ gatherMs: 300 })
    const asked = [batcher.load(1)]
    await new Promise((r) => setTimeout(r, 5))
    asked.push(batcher.load(2))
    await new Promise((r) => setTimeout(r, 5))
    asked.push(batcher.load(3))
    expect(await Promise.all(asked)).toEqual([10, 20, 30])
    expect(batches).toEqual([[1, 2, 3]])
  })

  it('with gatherMs, does not wait when a full batch is already queued: a backlog drains at once', async () => {
    // A window longer than the test's timeout: only a batch that skips it can finish.
    const { batcher, batches } = recording({ gatherMs: 60_000, max: 2 })
    expect(await Promise.all([1, 2, 3, 4].map((k) => batcher.load(k)))).toEqual([10, 20, 30, 40])
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ])
  }, 5_000)

  it('holds a key until its batch returned, and idle() waits for every batch', async () => {
    const { batcher } = recording({ gatherMs: 10 })
    const pending = batcher.load(4)
    expect(batcher.holds(4)).toBe(true)
    await batcher.idle()
    expect(batcher.holds(4)).toBe(false)
    expect(await pending).toBe(40)
  })

  it('with besideUpTo 1, runs a lone key beside a lone key, and queues behind a batch of several', async () => {
    const { batcher, batches } = recording({ concurrency: 2, besideUpTo: 1 })
    // A lone key out: the next lone key starts beside it rather than after it.
    const lone = [batcher.load(1)]
    await new Promise((r) => setTimeout(r, 1))
    lone.push(batcher.load(2))
    await new Promise((r) => setImmediate(r))
    expect(batches).toEqual([[1], [2]])
    expect(await Promise.all(lone)).toEqual([10, 20])

    // A batch of several out: what arrives meanwhile waits and goes as one batch after it.
    batches.length = 0
    const burst = [3, 4, 5].map((k) => batcher.load(k))
    await new Promise((r) => setTimeout(r, 1))
    burst.push(batcher.load(6), batcher.load(7))
    await new Promise((r) => setImmediate(r))
    expect(batches).toEqual([[3, 4, 5]])
    expect(await Promise.all(burst)).toEqual([30, 40, 50, 60, 70])
    expect(batches).toEqual([
      [3, 4, 5],
      [6, 7],
    ])
  })
})
