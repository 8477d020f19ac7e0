import type { NoticeActor } from '../../broadcasts/authorize.ts'
import { cancelNotice, confirmNotice, type NoticeAction } from '../../broadcasts/confirm-notice.ts'
import { createNotice, previewOf } from '../../broadcasts/create-notice.ts'
import { parseNoticeCode } from '../../broadcasts/notice-code.ts'
import { pauseNotice, resumeNotice } from '../../broadcasts/pause-notice.ts'
import { recallNotice } from '../../broadcasts/recall-notice.ts'
import { CHAT_MISSED_LIMIT, readReceipt } from '../../broadcasts/receipt.ts'
import { resendFailed } from '../../broadcasts/resend-notice.ts'
import { noticeTexts } from '../../broadcasts/templates.ts'
import type { ChatContext, SomeHandlers } from '../context.ts'
import { heldAttachments, releaseAttachments } from '../held-attachments.ts'

/** The talker as the domain sees them: held to their grants, never an operator. */
function actorOf(ctx: ChatContext): NoticeActor {
  return { kind: 'member', ref: ctx.incoming.talkerId, member: ctx.member }
}

/** Progress and the final summary go back where the command was typed. */
function replyToOf(ctx: ChatContext): { account: string; roomId: string } {
  return { account: ctx.account.name, roomId: ctx.incoming.roomId ?? ctx.incoming.talkerId }
}

/**
 * A handler of `<verb> N12`: the code read as a notice id (an unknown code is answered as such),
 * then `act` on that notice by the talker, from the room it was typed in.
 */
function byNoticeCode(act: (ctx: ChatContext, action: NoticeAction) => Promise<string>) {
  return async (ctx: ChatContext, command: { code: string }) => {
    const id = parseNoticeCode(command.code)
    if (id === undefined) return noticeTexts.unknownNotice(command.code)
    return act(ctx, { id, actor: actorOf(ctx), groupId: ctx.group?.id })
  }
}

/**
 * Chat commands of propaganda staff. The pipeline has already checked that the talker is a
 * propagandist (or admin) over the room's unit; the domain checks the notice's own scope.
 */
export const noticeHandlers = {
  // 通知 [范围] [仅…] 正文 → a draft and its preview; nothing is sent before 确认.
  // The pictures, files and articles the talker sent here just before go with it.
  notice: async (ctx, command) => {
    const where = ctx.incoming.roomId && {
      account: ctx.account.name,
      conversationId: ctx.incoming.roomId,
      talkerId: ctx.incoming.talkerId,
    }
    const attachments = where ? await heldAttachments(ctx.services, where) : []
    const result = await createNotice(ctx.services, {
      actor: actorOf(ctx),
      scope: command.scope,
      herePath: ctx.group?.unitPath,
      groupId: ctx.group?.id,
      tiers: command.tiers,
      text: command.text,
      replyTo: replyToOf(ctx),
      attachments,
    })
    if (!result.ok) return result.message
    if (where && attachments.length > 0) await releaseAttachments(ctx.services, where)
    return previewOf(ctx.services, result, { chat: true })
  },

  // 更正 N12 正文 → a draft to exactly the groups N12 reached; 确认 sends it like any notice.
  correctNotice: async (ctx, command) => {
    const id = parseNoticeCode(command.code)
    if (id === undefined) return noticeTexts.unknownNotice(command.code)
    const result = await createNotice(ctx.services, {
      actor: actorOf(ctx),
      corrects: id,
      groupId: ctx.group?.id,
      text: command.text,
      replyTo: replyToOf(ctx),
    })
    return result.ok ? previewOf(ctx.services, result, { chat: true }) : result.message
  },

  confirmNotice: byNoticeCode(
    async (ctx, action) => (await confirmNotice(ctx.services, action)).message,
  ),

  cancelNotice: byNoticeCode(
    async (ctx, action) => (await cancelNotice(ctx.services, action)).message,
  ),

  // 撤回 N12: stop it and take back what was said; the counts per tier follow in this room.
  recallNotice: byNoticeCode(
    async (ctx, action) =>
      (await recallNotice(ctx.services, action, { replyTo: replyToOf(ctx) })).message,
  ),

  // 重发 N12: the failed groups of a sent notice, once more each.
  resendNotice: byNoticeCode(
    async (ctx, action) => (await resendFailed(ctx.services, action)).message,
  ),

  // 暂停 N12 / 继续 N12: sends held where they stand, then the rest said, each once.
  pauseNotice: byNoticeCode(
    async (ctx, action) => (await pauseNotice(ctx.services, action)).message,
  ),
  resumeNotice: byNoticeCode(
    async (ctx, action) => (await resumeNotice(ctx.services, action)).message,
  ),

  receipt: byNoticeCode(async (ctx, action) => {
    const result = await readReceipt(ctx.services, { ...action, missedLimit: CHAT_MISSED_LIMIT })
    return result.lines.join('\n')
  }),
} satisfies SomeHandlers
