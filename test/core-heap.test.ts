import { describe, expect, it } from 'vitest'
import { HEAP_GROWING_PERCENT, tuneHeap } from '../core/heap.ts'

describe('tuneHeap', () => {
  it('sets the growth asked for, V8 own choice on 0, and the default on anything malformed', () => {
    expect(tuneHeap({})).toBe(HEAP_GROWING_PERCENT)
    expect(tuneHeap({ QUANQUN_HEAP_GROWING_PERCENT: ' 250 ' })).toBe(250)
    expect(tuneHeap({ QUANQUN_HEAP_GROWING_PERCENT: '0' })).toBe(0)
    for (const bad of ['abc', '-5', '1.5', '１００', '99999', '400; rm -rf /']) {
      expect(tuneHeap({ QUANQUN_HEAP_GROWING_PERCENT: bad })).toBe(HEAP_GROWING_PERCENT)
    }
  })
})
