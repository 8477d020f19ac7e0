/**
 * Recognises WeChat telling an account to slow down: a system message in a room ("操作过于频繁，
 * 请稍后再试") or the error a puppet throws when a send is refused. Feed it system messages and
 * send errors only: a resident complaining "停水过于频繁" is not WeChat throttling the bot.
 *
 * Leaning towards yes is deliberate: a false alarm costs one cool-down, a miss risks the account.
 */
const THROTTLE_PHRASES = [
  // Simplified Chinese, as WeChat and the iPad/Windows puppets word it.
  '操作过于频繁',
  '操作太频繁',
  '操作频繁',
  '发送过于频繁',
  '发送太频繁',
  '发消息过于频繁',
  '过于频繁',
  '太频繁',
  '频率过快',
  '频率过高',
  '频率太快',
  '发送频率',
  '请稍后再试',
  '请稍候再试',
  '稍后再试',
  // Traditional Chinese clients.
  '操作過於頻繁',
  '過於頻繁',
  '太頻繁',
  '頻率過快',
  '請稍後再試',
  // English clients and puppet/HTTP errors.
  'too frequent',
  'too frequently',
  'too many requests',
  'too many messages',
  'rate limit',
  'rate limited',
  'rate exceeded',
  'frequency limit',
  'throttled',
  'throttling',
  'slow down',
] as const

/**
 * Full-width to half-width (NFKC turns "ＲＡＴＥ　ＬＩＭＩＴ" into "RATE LIMIT"), lower case, and no
 * spaces, dashes or underscores, so "Rate-Limit", "rate_limit" and "ratelimit" read the same.
 */
export function normalizeSignalText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\-_]+/gu, '')
}

// Normalised once at load, so the table reads naturally and matching is a substring test.
const NEEDLES = THROTTLE_PHRASES.map(normalizeSignalText)

export function isThrottleSignal(text: string): boolean {
  const hay = normalizeSignalText(text)
  return hay.length > 0 && NEEDLES.some((needle) => hay.includes(needle))
}

/** The text of whatever a puppet threw (Error, string, { message }, …), for isThrottleSignal. */
export function errorText(error: unknown, depth = 0): string {
  if (error instanceof Error) {
    // Puppets wrap gRPC and HTTP errors; the throttling words are often in the cause. Three levels
    // are plenty and stop a cyclic cause.
    const cause =
      error.cause === undefined || depth >= 3 ? '' : ` ${errorText(error.cause, depth + 1)}`
    return `${error.name}: ${error.message}${cause}`
  }
  if (typeof error === 'string') return error
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String((error as { message: unknown }).message)
  }
  return String(error)
}
