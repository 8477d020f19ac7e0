import type { Sql } from 'postgres'

/**
 * Statements with more parameters than this stay unnamed. Their text varies with the data (a
 * multi-row insert per row count, an `in (…)` list per length), and postgres.js keeps every named
 * statement for the life of the connection, so naming them would grow that cache without bound.
 * Statements with few parameters come from a fixed set of code paths: naming them is bounded.
 */
export const MAX_PREPARED_PARAMS = 32

type Unsafe = Sql['unsafe']

/**
 * The postgres.js client drizzle should be given. drizzle runs every query through `unsafe` with
 * `prepare: false` unless `.prepare(name)` is called, and postgres.js sends an unnamed statement
 * with parameters as two round trips (parse + describe, wait for the parameter types, then bind +
 * execute), parsed and planned anew each time. Named, a statement is parsed once per connection and
 * each later run is one round trip. Transactions and savepoints hand their callbacks a client of
 * their own, so those are wrapped too.
 */
export function preparing<T extends object>(sql: T): T {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      if (prop === 'unsafe') {
        const unsafe = value as Unsafe
        return ((query: string, params?: unknown, options?: object) =>
          Array.isArray(params)
            ? unsafe(query, params, { ...options, prepare: params.length <= MAX_PREPARED_PARAMS })
            : unsafe(query, params as never, options)) as Unsafe
      }
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) =>
          (value as (...a: unknown[]) => unknown)(
            ...args.map((arg) =>
              typeof arg === 'function'
                ? (client: object) => (arg as (c: object) => unknown)(preparing(client))
                : arg,
            ),
          )
      }
      return value
    },
  })
}
