/**
 * Character n-gram similarity, pure: each category is the TF-IDF vector of the bigrams and
 * trigrams of its example sentences, and a message scores the cosine with each. Chinese has no
 * spaces to split words on, and residents write variants ("不方便" for "不便", "取药" for "买药"),
 * so overlapping characters, not words, carry the likeness. No library does this for Chinese
 * without a dictionary and a native build; this is 80 lines.
 */

// A gram is a small integer, not a string: its units hashed into 29 bits, trigrams above
// bigrams. Integers of this size are V8 small integers, so no string or heap number is allocated
// per gram and a 2,000-character message stays well under a millisecond. Two grams sharing a
// hash (some 20,000 grams in 2^29 values) would only blur a similarity a little.
const SPAN = 0x2000_0000
const MIX = 0x9e37_79b1

/** The bigram of two UTF-16 units, as `gramsOf` numbers it. */
export const pair = (a: number, b: number) => (Math.imul(a, MIX) ^ b) & (SPAN - 1)
const triple = (two: number, c: number) => SPAN + ((Math.imul(two, MIX) ^ c) & (SPAN - 1))

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

interface Posting {
  /** Index into `seen`. */
  id: number
  idf: number
  cats: number[]
  weights: number[]
}

/** For each gram, the categories that have it and its weight in each (unit-length vectors). */
export interface NgramModel {
  readonly size: number
  readonly postings: ReadonlyMap<number, Posting>
  /**
   * Scratch space of `similarities`: the call that last counted each gram, so a gram repeated in
   * a message counts once without a set allocated per call (classification is synchronous).
   */
  readonly seen: Uint32Array
  call: number
}

/**
 * `docs[c]` holds category c's normalized sentences. A gram's weight in a category grows with
 * the log of how many of its sentences hold it and with how few categories share it (a gram every
 * category has, such as 一下, weighs nothing).
 */
export function buildNgramModel(docs: readonly (readonly string[])[]): NgramModel {
  const counts = docs.map((sentences) => {
    const tf = new Map<number, number>()
    for (const s of sentences) for (const g of gramsOf(s)) tf.set(g, (tf.get(g) ?? 0) + 1)
    return tf
  })
  const df = new Map<number, number>()
  for (const tf of counts) for (const g of tf.keys()) df.set(g, (df.get(g) ?? 0) + 1)
  const idf = (g: number) => Math.log(docs.length / df.get(g)!)
  const postings = new Map<number, Posting>()
  counts.forEach((tf, c) => {
    let norm = 0
    const weighted: [number, number][] = []
    for (const [g, n] of tf) {
      const w = (1 + Math.log(n)) * idf(g)
      if (w <= 0) continue
      weighted.push([g, w])
      norm += w * w
    }
    norm = Math.sqrt(norm)
    for (const [g, w] of weighted) {
      let p = postings.get(g)
      if (!p) {
        p = { id: postings.size, idf: idf(g), cats: [], weights: [] }
        postings.set(g, p)
      }
      p.cats.push(c)
      p.weights.push(w / norm)
    }
  })
  return { size: docs.length, postings, seen: new Uint32Array(postings.size), call: 0 }
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
  let norm = 0
  const count = (gram: number) => {
    const p = model.postings.get(gram)
    if (!p || model.seen[p.id] === call) return
    model.seen[p.id] = call
    norm += p.idf * p.idf
    for (let k = 0; k < p.cats.length; k++) out[p.cats[k]!]! += p.idf * p.weights[k]!
  }
  for (let i = 0; i + 1 < text.length; i++) {
    const two = pair(text.charCodeAt(i), text.charCodeAt(i + 1))
    count(two)
    if (i + 2 < text.length) count(triple(two, text.charCodeAt(i + 2)))
  }
  if (norm > 0) {
    const n = Math.sqrt(norm)
    for (let c = 0; c < out.length; c++) out[c]! /= n
  }
  return out
}
