import { codePointLength } from '../core/text.ts'
import { splitPath } from '../core/unit-path.ts'
import { MAX_TIER } from './types.ts'

/** Longest name, topic or id we accept, in code points: longer is a pasting accident. */
export const MAX_NAME_LENGTH = 100

export const PATH_SEPARATOR = '/'

// Cc covers C0/C1 controls (tab, newline, NUL); Cf covers invisible format characters
// (zero-width space, bidi overrides) that make two names look equal when they are not.
const CONTROL = /[\p{Cc}\p{Cf}]/u

function hasControlChars(value: string): boolean {
  return CONTROL.test(value)
}

export type NameProblem = 'empty' | 'control' | 'too-long'

/** Checks one already-normalised name; undefined when it is fine. */
export function nameProblem(name: string): NameProblem | undefined {
  if (name === '') return 'empty'
  if (hasControlChars(name)) return 'control'
  if (codePointLength(name) > MAX_NAME_LENGTH) return 'too-long'
  return undefined
}

export function joinPath(names: readonly string[]): string {
  return names.join(PATH_SEPARATOR)
}

/** The canonical form of a path a user typed, or undefined when it cannot name a unit. */
export function normalizePath(path: string): string | undefined {
  const names = splitPath(path)
  if (names.length > MAX_TIER) return undefined
  if (names.some((n) => nameProblem(n) !== undefined)) return undefined
  return joinPath(names)
}

/** Every proper ancestor path of `path`, nearest first: "a/b/c" → ["a/b", "a"]. */
export function ancestorPaths(path: string): string[] {
  const out: string[] = []
  let end = path.lastIndexOf(PATH_SEPARATOR)
  while (end > 0) {
    out.push(path.slice(0, end))
    end = path.lastIndexOf(PATH_SEPARATOR, end - 1)
  }
  return out
}

export function parentPath(path: string): string | undefined {
  const end = path.lastIndexOf(PATH_SEPARATOR)
  return end > 0 ? path.slice(0, end) : undefined
}

export function lastName(path: string): string {
  return path.slice(path.lastIndexOf(PATH_SEPARATOR) + 1)
}

/** Escapes LIKE's wildcards so a unit named "50%_区" matches itself only (backslash is PG's escape). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** The LIKE pattern for the strict descendants of `path`. */
export function descendantsPattern(path: string): string {
  return `${escapeLike(path)}${PATH_SEPARATOR}%`
}
