import { UnrecoverableError } from 'bullmq'
import type { ZodType } from 'zod'

/**
 * A job's payload, parsed: data read back from Redis is as untrusted as a chat message. One that
 * does not parse never gets better, so it fails at once instead of using up retries.
 */
export function payloadOf<T>(schema: ZodType<T>, data: unknown): T {
  const parsed = schema.safeParse(data)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  throw new UnrecoverableError(`bad payload: ${issue.path.join('.')}: ${issue.message}`)
}
