/** UTF-8 bytes of `text`, as a CSV file holds them. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

/** One byte array of the parts in order, strings as UTF-8: files with a bad byte put in. */
export function concat(...parts: (string | Uint8Array)[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? utf8(p) : p))
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0))
  let at = 0
  for (const a of arrays) {
    out.set(a, at)
    at += a.length
  }
  return out
}
