/** Rows of a raw statement (`db.execute`), as postgres.js (an array) or PGlite ({ rows }) gives them. */
export function rowsOf<R>(result: unknown): R[] {
  return (Array.isArray(result) ? result : (result as { rows: R[] }).rows) as R[]
}
