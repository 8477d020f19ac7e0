/**
 * How a send failed, as the send worker and the domains' hooks must tell it: an outage of what the
 * bookkeeping needs (retried without end, no attempt spent) or the message's own failure, stored
 * only as a category.
 */
import { errorText, isThrottleSignal } from './throttle.ts'

/**
 * "Try later; not the message's fault": a hook could not reach what it needs (PostgreSQL, Redis).
 * The send worker puts the job back, delayed with its own capped backoff, without using one of its
 * attempts, however long the outage lasts; a page keeps its progress. Nothing was said.
 */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError'
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what}: infrastructure unavailable`, options)
  }
}

/**
 * "Not now; ask again in `ms`": what the message is about is on hold (its notice paused). The send
 * worker parks the job, delayed by `ms`, without using an attempt; a page keeps its progress, so
 * what it had not said stays unsaid until the hold ends. Whoever ends it may wake the job earlier
 * (BullMQ's promote); the delay is only the longest it waits before asking again. Nothing was said.
 */
export class HoldError extends Error {
  override readonly name = 'HoldError'
  constructor(
    what: string,
    readonly ms: number,
  ) {
    super(`${what}: on hold`)
  }
}

/** Error codes of a connection that is refused, cut, timed out or not there yet. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // postgres.js
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  // PostgreSQL: admin/crash shutdown, cannot connect now, too many connections.
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

/** ioredis's words for a connection it does not have. */
const REDIS_DOWN =
  /connection is closed|stream isn't writeable|max retries per request|reached the max retries|ECONNREFUSED/i

/**
 * Whether an error (or one of its causes, a few levels deep: drizzle wraps the driver's error)
 * says a database or Redis could not be reached, rather than that the request itself was bad.
 */
export function isInfrastructureFailure(error: unknown, depth = 0): boolean {
  if (error instanceof InfrastructureError) return true
  if (typeof error !== 'object' || error === null || depth > 4) return false
  const { code, name, message, cause } = error as {
    code?: unknown
    name?: unknown
    message?: unknown
    cause?: unknown
  }
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true
  if (name === 'MaxRetriesPerRequestError') return true
  if (typeof message === 'string' && REDIS_DOWN.test(message) && depth === 0 && !('query' in error))
    return true
  if (Array.isArray((error as { errors?: unknown }).errors)) {
    // AggregateError: a connect that tried several addresses.
    if ((error as { errors: unknown[] }).errors.some((e) => isInfrastructureFailure(e, depth + 1)))
      return true
  }
  return cause !== undefined && isInfrastructureFailure(cause, depth + 1)
}

/**
 * What a send's failure is stored and shown as: a category, never the error's text (which may
 * carry SQL and its parameters, or personal data in a puppet's answer).
 */
export type SendFailureReason = 'infrastructure' | 'room-gone' | 'refused' | 'throttled' | 'unknown'

export function failureReason(error: unknown): SendFailureReason {
  if (isInfrastructureFailure(error)) return 'infrastructure'
  const text = errorText(error)
  if (isThrottleSignal(text)) return 'throttled'
  if (
    /not found|no such room|not (a )?member|removed|kicked|dismiss|不在群|已退出|被移出|解散/i.test(
      text,
    )
  )
    return 'room-gone'
  if (/refused|reject|denied|forbidden|拒绝|失败|failed/i.test(text)) return 'refused'
  return 'unknown'
}
