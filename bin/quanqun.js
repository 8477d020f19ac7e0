#!/usr/bin/env node
// The CLI runs from TypeScript sources through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api'

register()
// Before the process allocates much: how far the heap grows between full collections.
const { tuneHeap } = await import('../core/heap.ts')
tuneHeap()
await import('../cli/main.ts')
