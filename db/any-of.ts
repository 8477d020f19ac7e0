import { type AnyColumn, type SQL, sql } from 'drizzle-orm'

/**
 * A Postgres array literal of integers ('{1,2,NULL}'), for `= any(…::int[])` and `unnest(…)`:
 * postgres.js and PGlite both take it as is. Only integers go in, so nothing needs quoting.
 */
export function intArray(values: readonly (number | null)[]): string {
  for (const v of values) {
    if (v !== null && !Number.isSafeInteger(v)) throw new TypeError(`not an integer: ${v}`)
  }
  return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`
}

/**
 * `column = any(ids)` with the ids as one parameter. An `in (…)` list is a new statement text for
 * every length, which postgres.js prepares afresh each time; this is one text, prepared once.
 */
export function anyInt(column: AnyColumn, ids: readonly number[]): SQL {
  return sql`${column} = any(${intArray(ids)}::int[])`
}

/**
 * A text[] of `values` from one JSON parameter, for `= any(…)` and `unnest(…)`: nothing to escape,
 * whatever the values hold.
 */
export function textArray(values: readonly string[]): SQL {
  return sql`array(select json_array_elements_text(${JSON.stringify(values)}::json))`
}

/** anyInt for text values (textArray). */
export function anyText(column: AnyColumn, values: readonly string[]): SQL {
  return sql`${column} = any(${textArray(values)})`
}
