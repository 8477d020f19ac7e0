import { userInfo } from 'node:os'
import { openApp } from '../../app/app.ts'
import type { NoticeActor } from '../../broadcasts/authorize.ts'
import { parseNoticeCode } from '../../broadcasts/notice-code.ts'
import { cliTexts } from '../../broadcasts/templates.ts'
import type { Services } from '../../core/services.ts'
import { redisAnswers } from '../../queues/connection.ts'
import { type CommandContext, UsageError } from '../command.ts'

/** Who runs the CLI: trusted (they hold the database) and audited as `cli:<os user>`. */
export function cliActor(): NoticeActor {
  let user = 'unknown'
  try {
    user = userInfo().username || user
  } catch {
    // No passwd entry (some containers): still audited, as cli:unknown.
  }
  return { kind: 'operator', ref: `cli:${user}` }
}

/** The notice id of `quanqun notice <verb> N12`, or a usage error. */
export function noticeIdArg(ctx: CommandContext, verb: string): number {
  const id = parseNoticeCode(ctx.args.join(' '))
  if (id === undefined) throw new UsageError(cliTexts.codeUsage(verb))
  return id
}

/**
 * Services for one CLI command. Redis is connected only when the command needs a queue and a
 * server answers; otherwise the connection is a lazy one that is never used, and `queueUp` tells
 * the command to leave queueing to the reconciler instead of hanging on a dead server.
 */
export async function withNoticeServices<T>(
  ctx: CommandContext,
  opts: { queue: boolean },
  fn: (services: Services, queueUp: boolean) => Promise<T>,
): Promise<T> {
  const { config, log } = ctx
  const queueUp = opts.queue && (await redisAnswers(config))
  // Migrating is idempotent and cheap; it lets the command answer on a fresh data directory.
  const app = await openApp(config, log, { migrate: true, max: 2, redis: queueUp })
  try {
    return await fn(app.services, queueUp)
  } finally {
    await app.close()
  }
}
