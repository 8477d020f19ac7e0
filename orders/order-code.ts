/**
 * Short order codes residents can read out and type: A0001 … A9999, B0001 …, then five and six
 * digits. N is reserved for notices; I and O are skipped because on a phone they pass for 1 and 0.
 * The number comes from the `order_code_seq` sequence, never from chance.
 */
export const CODE_LETTERS = 'ABCDEFGHJKLMPQRSTUVWXYZ'

// Codes per letter at each width: 0001-9999, 10000-99999, 100000-999999.
const WIDTHS = [
  { digits: 4, first: 1, count: 9_999 },
  { digits: 5, first: 10_000, count: 90_000 },
  { digits: 6, first: 100_000, count: 900_000 },
] as const

/** Sequence value n (1-based) → its code; every n gives a different code. */
export function orderCodeFor(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`order code: bad sequence value ${n}`)
  let rest = n - 1
  for (const w of WIDTHS) {
    const block = w.count * CODE_LETTERS.length
    if (rest < block) {
      const letter = CODE_LETTERS[Math.floor(rest / w.count)]!
      const number = w.first + (rest % w.count)
      return letter + String(number).padStart(w.digits, '0')
    }
    rest -= block
  }
  // 23 letters × 999,999 codes: about 23 million orders before the format runs out.
  throw new RangeError(`order code: sequence value ${n} is past the last code`)
}
