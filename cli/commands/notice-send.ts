import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { confirmNotice } from '../../broadcasts/confirm-notice.ts'
import { createNotice, previewOf } from '../../broadcasts/create-notice.ts'
import {
  type AttachmentInput,
  collectAttachments,
  type NoticeAttachment,
} from '../../broadcasts/notice-attachments.ts'
import { parseNoticeCode } from '../../broadcasts/notice-code.ts'
import { cliTexts, noticeTexts } from '../../broadcasts/templates.ts'
import { parseLocalTime } from '../../core/local-time.ts'
import type { Services } from '../../core/services.ts'
import { GROUP_KINDS, type GroupKind } from '../../db/schema/network.ts'
import type { Tier } from '../../network/types.ts'
import { type CliCommand, type CommandContext, UsageError } from '../command.ts'
import { cliActor, withNoticeServices } from './notice-app.ts'

const KIND_WORDS: Readonly<Record<string, GroupKind>> = {
  居民: 'residents',
  工作: 'workers',
  管理: 'staff',
  ...Object.fromEntries(GROUP_KINDS.map((k) => [k, k])),
}

function list(value: string): string[] {
  return value
    .normalize('NFKC')
    .split(/[,，、\s]+/u)
    .filter(Boolean)
}

export function parseTiersFlag(value: string): Tier[] {
  const tiers = list(value).map(Number)
  if (tiers.length === 0 || tiers.some((t) => !Number.isInteger(t) || t < 1 || t > 5)) {
    throw new UsageError(cliTexts.badTiers(value))
  }
  return tiers as Tier[]
}

export function parseKindsFlag(value: string): GroupKind[] {
  const kinds = list(value).map((w) => KIND_WORDS[w])
  if (kinds.length === 0 || kinds.some((k) => k === undefined)) {
    throw new UsageError(cliTexts.badKinds(value))
  }
  return kinds as GroupKind[]
}

function stringFlag(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.flags[name]
  if (v === undefined) return undefined
  if (v === true) throw new UsageError(cliTexts.sendUsage)
  return v
}

async function noticeText(ctx: CommandContext): Promise<string> {
  const text = stringFlag(ctx, 'text')
  const file = stringFlag(ctx, 'text-file')
  if (text !== undefined && file !== undefined) throw new UsageError(cliTexts.textAndFile)
  if (text !== undefined) return text
  if (file === undefined) throw new UsageError(cliTexts.sendUsage)
  try {
    return (await readFile(file, 'utf8')).replace(/^\uFEFF/, '')
  } catch (error) {
    const why = error instanceof Error && 'code' in error ? String(error.code) : String(error)
    throw new UsageError(`读取 ${file} 失败：${why}`)
  }
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    const why = error instanceof Error && 'code' in error ? String(error.code) : String(error)
    throw new UsageError(`读取 ${path} 失败：${why}`)
  }
}

/** --image, --file and --link, said after the text in that order (collectAttachments). */
async function attachmentsOf(
  ctx: CommandContext,
  services: Services,
): Promise<NoticeAttachment[] | string> {
  const files: AttachmentInput[] = []
  for (const kind of ['image', 'file'] as const) {
    const path = stringFlag(ctx, kind)
    if (path !== undefined) files.push({ kind, name: basename(path), data: await readBytes(path) })
  }
  const url = stringFlag(ctx, 'link')
  return collectAttachments(services, {
    files,
    ...(url !== undefined && { link: { url, title: stringFlag(ctx, 'link-title') } }),
  })
}

/**
 * `quanqun notice send`: an operator's notice. It is a draft with a preview unless --yes confirms
 * it in the same breath (scripts); either way it goes through createNotice like a chat notice.
 */
export const noticeSend: CliCommand = {
  name: 'notice send',
  usage:
    'notice send (--scope <路径> | --corrects <通知号>) (--text <正文> | --text-file <文件>) [--image <图片>] [--file <文件>] [--link <文章链接> [--link-title 标题]] [--tiers 4,5] [--kinds residents] [--at 时间] [--event-at 活动时间] [--yes]',
  summary:
    '向某单位及其下级的群发布通知（先预览；--yes 直接确认发布；--at 定时；--corrects 向收到某通知的群发更正）',
  options: {
    scope: { type: 'string' },
    corrects: { type: 'string' },
    text: { type: 'string' },
    'text-file': { type: 'string' },
    image: { type: 'string' },
    file: { type: 'string' },
    link: { type: 'string' },
    'link-title': { type: 'string' },
    tiers: { type: 'string' },
    kinds: { type: 'string' },
    at: { type: 'string' },
    'event-at': { type: 'string' },
    yes: { type: 'boolean' },
  },
  async run(ctx) {
    const scope = stringFlag(ctx, 'scope')
    const correctsFlag = stringFlag(ctx, 'corrects')
    const corrects = correctsFlag === undefined ? undefined : parseNoticeCode(correctsFlag)
    if (correctsFlag !== undefined && corrects === undefined) {
      throw new UsageError(noticeTexts.unknownNotice(correctsFlag))
    }
    if (!scope === (corrects === undefined)) throw new UsageError(cliTexts.sendUsage)
    const text = await noticeText(ctx)
    const tiersFlag = stringFlag(ctx, 'tiers')
    const kindsFlag = stringFlag(ctx, 'kinds')
    const atFlag = stringFlag(ctx, 'at')
    const tiers = tiersFlag === undefined ? undefined : parseTiersFlag(tiersFlag)
    const kinds = kindsFlag === undefined ? undefined : parseKindsFlag(kindsFlag)
    const scheduledAt =
      atFlag === undefined ? undefined : parseLocalTime(atFlag, ctx.config.timezone)
    if (atFlag !== undefined && scheduledAt === undefined) {
      throw new UsageError(cliTexts.badAt('--at', atFlag))
    }
    const eventFlag = stringFlag(ctx, 'event-at')
    const eventAt =
      eventFlag === undefined ? undefined : parseLocalTime(eventFlag, ctx.config.timezone)
    if (eventFlag !== undefined && eventAt === undefined) {
      throw new UsageError(cliTexts.badAt('--event-at', eventFlag))
    }
    const confirm = ctx.flags.yes !== undefined
    const actor = cliActor()
    return withNoticeServices(ctx, { queue: confirm }, async (services, queueUp) => {
      const attachments = await attachmentsOf(ctx, services)
      if (typeof attachments === 'string') {
        ctx.out(attachments)
        return 1
      }
      const created = await createNotice(services, {
        attachments,
        actor,
        scope,
        corrects,
        tiers,
        kinds,
        text,
        scheduledAt,
        eventAt,
      })
      if (!created.ok) {
        ctx.out(created.message)
        return 1
      }
      if (!confirm) {
        for (const line of previewOf(services, created, { chat: false }).split('\n')) ctx.out(line)
        return 0
      }
      const lines = previewOf(services, created, { chat: false }).split('\n')
      ctx.out(lines[0]!)
      const result = await confirmNotice(
        services,
        { id: created.notice.id, actor },
        { queueFanout: queueUp },
      )
      ctx.out(result.message)
      if (result.outcome === 'confirmed' && !result.queued) ctx.out(cliTexts.queued)
      return result.outcome === 'confirmed' ? 0 : 1
    })
  },
}
