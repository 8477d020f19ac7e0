/**
 * Character n-gram similarity, pure: each category is the TF-IDF vector of the characters,
 * bigrams and trigrams of its example sentences, and a message scores the cosine with each.
 * Chinese has no spaces to split words on, and residents write variants ("不方便" for "不便",
 * "取药" for "买药"), so overlapping characters, not words, carry the likeness. A single character
 * often carries the need on its own (吵, 臭, 骗, 穷, 娃) where the words around it differ from every
 * example, so characters count too (on the dev corpus, 96.2 → 98.6 %). No library does this for
 * Chinese without a dictionary and a native build; this is 150 lines.
 */

// A gram is a small integer, not a string: its units hashed into 29 bits, trigrams above
// bigrams, a single character below zero (its code unit, negated). Integers of this size are V8
// small integers, so no string or heap number is allocated per gram and a 2,000-character message
// stays well under a millisecond. Two grams sharing a hash (some 12,000 grams in 2^29 values)
// would only blur a similarity a little.
const SPAN = 0x2000_0000
const MIX = 0x9e37_79b1

/** The bigram of two UTF-16 units, as `gramsOf` numbers it. */
export const pair = (a: number, b: number) => (Math.imul(a, MIX) ^ b) & (SPAN - 1)
const triple = (two: number, c: number) => SPAN + ((Math.imul(two, MIX) ^ c) & (SPAN - 1))

/** A single character (UTF-16 unit) as a gram: below zero, apart from every bigram and trigram. */
const single = (unit: number) => -1 - unit

/** The distinct bigrams and trigrams of a normalized text (see `matchText`), as integers. */
export function gramsOf(text: string): Set<number> {
  const out = new Set<number>()
  for (let i = 0; i + 1 < text.length; i++) {
    const two = pair(text.charCodeAt(i), text.charCodeAt(i + 1))
    out.add(two)
    if (i + 2 < text.length) out.add(triple(two, text.charCodeAt(i + 2)))
  }
  return out
}

/** Whether a gram of `gramsOf` is a bigram (keywords and learned examples index by these). */
export const isBigram = (gram: number): boolean => gram < SPAN

/** What a sentence is compared by: its grams and its characters. */
function featuresOf(text: string): Set<number> {
  const out = gramsOf(text)
  for (let i = 0; i < text.length; i++) out.add(single(text.charCodeAt(i)))
  return out
}

/**
 * For each gram, the categories that have it and its weight in each (unit-length vectors), in flat
 * typed arrays: a message of 2,000 characters looks up some 6,000 grams, and a Map's hashing and
 * a posting object per gram cost more than the arithmetic (similarities took 0.68 ms a call with
 * a Map, 0.29 ms with these, on the 2,000-character bench text).
 */
export interface NgramModel {
  readonly size: number
  /** The posting of each UTF-16 unit as a single character; -1 for none. */
  readonly chars: Int32Array
  /**
   * Open addressing (linear probing) of the bigrams and trigrams: gram, posting, side by side so
   * a lookup touches one cache line; a gram of -1 is an empty slot.
   */
  readonly table: Int32Array
  readonly shift: number
  /** Posting p: its idf, and its categories `cats[from[p] .. from[p + 1])`, each with idf × weight. */
  readonly idf: Float64Array
  readonly from: Uint32Array
  readonly cats: Uint16Array
  readonly weighted: Float64Array
  /**
   * Scratch space of `similarities`: the call that last counted each posting, so a gram repeated
   * in a message counts once without a set allocated per call (classification is synchronous).
   */
  readonly seen: Uint32Array
  call: number
}

// Multiplicative hashing: the top bits of the product pick the slot, so grams that differ only in
// their high bits (a trigram and a bigram of the same units) still land apart.
const MIX_SLOT = 0x85eb_ca6b
const slotOf = (gram: number, shift: number) => Math.imul(gram, MIX_SLOT) >>> shift

/**
 * `docs[c]` holds category c's normalized sentences. A gram's weight in a category grows with
 * the log of how many of its sentences hold it and with how few categories share it (a gram every
 * category has, such as 一下, weighs nothing).
 */
export function buildNgramModel(docs: readonly (readonly string[])[]): NgramModel {
  const counts = docs.map((sentences) => {
    const tf = new Map<number, number>()
    for (const s of sentences) for (const g of featuresOf(s)) tf.set(g, (tf.get(g) ?? 0) + 1)
    return tf
  })
  const df = new Map<number, number>()
  for (const tf of counts) for (const g of tf.keys()) df.set(g, (df.get(g) ?? 0) + 1)
  const idfOf = (g: number) => Math.log(docs.length / df.get(g)!)
  const postings = new Map<number, { cats: number[]; weights: number[] }>()
  counts.forEach((tf, c) => {
    let norm = 0
    const weighted: [number, number][] = []
    for (const [g, n] of tf) {
      const w = (1 + Math.log(n)) * idfOf(g)
      if (w <= 0) continue
      weighted.push([g, w])
      norm += w * w
    }
    norm = Math.sqrt(norm)
    for (const [g, w] of weighted) {
      let p = postings.get(g)
      if (!p) {
        p = { cats: [], weights: [] }
        postings.set(g, p)
      }
      p.cats.push(c)
      p.weights.push((w / norm) * idfOf(g))
    }
  })

  const bits = Math.max(4, Math.ceil(Math.log2(postings.size * 2 + 1)))
  const shift = 32 - bits
  const model: NgramModel = {
    size: docs.length,
    chars: new Int32Array(0x1_0000).fill(-1),
    table: new Int32Array(2 << bits).fill(-1),
    shift,
    idf: new Float64Array(postings.size),
    from: new Uint32Array(postings.size + 1),
    cats: new Uint16Array([...postings.values()].reduce((n, p) => n + p.cats.length, 0)),
    weighted: new Float64Array([...postings.values()].reduce((n, p) => n + p.cats.length, 0)),
    seen: new Uint32Array(postings.size),
    call: 0,
  }
  let id = 0
  let at = 0
  for (const [g, p] of postings) {
    if (g < 0) model.chars[-1 - g] = id
    else {
      let slot = slotOf(g, shift)
      while (model.table[slot << 1] !== -1) slot = (slot + 1) & ((1 << bits) - 1)
      model.table[slot << 1] = g
      model.table[(slot << 1) + 1] = id
    }
    model.idf[id] = idfOf(g)
    model.from[id] = at
    model.cats.set(p.cats, at)
    model.weighted.set(p.weights, at)
    at += p.cats.length
    id++
  }
  model.from[id] = at
  return model
}

/**
 * Cosine of the message's grams (each weighted by its idf) with every category. Grams no
 * example holds say nothing either way and are left out of the message's length, so 啷个/嘛/哦
 * and a long preamble do not dilute a clear need.
 */
export function similarities(model: NgramModel, text: string): Float64Array {
  const out = new Float64Array(model.size)
  if (model.call === 0xffff_ffff) {
    model.seen.fill(0)
    model.call = 0
  }
  const call = ++model.call
  const { chars, table, shift } = model
  const mask = table.length - 2
  // No closures here: a number a closure updates lives boxed in its context, and that
  // allocation per gram was a fifth of the time.
  let norm = 0
  for (let i = 0; i < text.length; i++) {
    norm += counted(model, out, call, chars[text.charCodeAt(i)]!)
    if (i + 1 === text.length) break
    const two = pair(text.charCodeAt(i), text.charCodeAt(i + 1))
    norm += counted(model, out, call, postingOf(table, mask, shift, two))
    if (i + 2 < text.length) {
      const three = triple(two, text.charCodeAt(i + 2))
      norm += counted(model, out, call, postingOf(table, mask, shift, three))
    }
  }
  if (norm > 0) {
    const n = Math.sqrt(norm)
    for (let c = 0; c < out.length; c++) out[c]! /= n
  }
  return out
}

/**
 * Adds posting `p`'s weights to `out` the first time this call meets it; returns what it adds to
 * the message's squared length.
 */
function counted(model: NgramModel, out: Float64Array, call: number, p: number): number {
  if (p < 0 || model.seen[p] === call) return 0
  model.seen[p] = call
  const { from, cats, weighted } = model
  for (let k = from[p]!, end = from[p + 1]!; k < end; k++) out[cats[k]!]! += weighted[k]!
  return model.idf[p]! * model.idf[p]!
}

/** The posting of a bigram or trigram, or -1: linear probing over (gram, posting) pairs. */
function postingOf(table: Int32Array, mask: number, shift: number, gram: number): number {
  for (let slot = slotOf(gram, shift) << 1; ; slot = (slot + 2) & mask) {
    const key = table[slot]!
    if (key === gram) return table[slot + 1]!
    if (key === -1) return -1
  }
}
