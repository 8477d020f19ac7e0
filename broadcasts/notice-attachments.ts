/**
 * What a notice carries besides its text: pictures and files (kept once in the content store,
 * core/content-store.ts, under their SHA-256) and shared articles (a card). Each is one more message
 * every group gets after the text, in order (delivery-jobs.ts), paced and counted like it.
 */
import { asc, eq } from 'drizzle-orm'
import { attachmentPath, safeFileName, storeFile } from '../core/content-store.ts'
import type { Services } from '../core/services.ts'
import { stripInvisible } from '../core/text.ts'
import type { Db } from '../db/client.ts'
import { type NoticeAttachmentKind, noticeAttachments } from '../db/schema/attachments.ts'
import { PARTS_MAX, type PagePart } from '../queues/outbound-message.ts'
import type { NoticeContent } from './delivery-jobs.ts'
import { signedText } from './signature.ts'
import { attachmentTexts } from './templates.ts'

/** 10 MB unless NOTICE_ATTACHMENT_MAX_MB says otherwise. */
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024

/** Most attachments on one notice: each is a message to every group of the audience. */
const MAX_NOTICE_ATTACHMENTS = PARTS_MAX

/** A picture or file already in the content store, or an article's card. */
export type NoticeAttachment =
  | { kind: 'image' | 'file'; name: string; sha256: string; bytes: number }
  | { kind: 'link'; url: string; title: string; description?: string | undefined }

const IMAGE = /\.(jpe?g|png|gif|webp|bmp|heic)$/i
const SHA256 = /^[0-9a-f]{64}$/
const MAX_TITLE = 100
const MAX_DESCRIPTION = 200

export function maxAttachmentBytes(services: Pick<Services, 'notices'>): number {
  return services.notices?.attachmentMaxBytes ?? DEFAULT_MAX_BYTES
}

/** The refusal of a picture or file above the cap, in Chinese, naming the cap. */
export function tooLargeText(services: Pick<Services, 'notices'>): string {
  const max = maxAttachmentBytes(services)
  const mb = max / 1024 / 1024
  return attachmentTexts.tooLarge(mb >= 1 ? `${Math.floor(mb)}MB` : `${Math.floor(max / 1024)}KB`)
}

/** A size above the cap, refused before anything is stored. */
export function tooLarge(services: Pick<Services, 'notices'>, bytes: number): string | undefined {
  return bytes <= maxAttachmentBytes(services) ? undefined : tooLargeText(services)
}

export type Stored = { ok: true; attachment: NoticeAttachment } | { ok: false; message: string }

/**
 * Keeps a picture or file for a notice (chat: when it is sent; CLI: from --image/--file): refused
 * above the size cap, or when this process keeps no files (no DATA_DIR).
 */
export async function storeNoticeFile(
  services: Pick<Services, 'notices' | 'dataDir'>,
  input: { name: string; data: Buffer; kind?: 'image' | 'file' },
): Promise<Stored> {
  const refusal = tooLarge(services, input.data.length)
  if (refusal) return { ok: false, message: refusal }
  if (services.dataDir === undefined) return { ok: false, message: attachmentTexts.noStore }
  const name = safeFileName(input.name, input.kind === 'file' ? '文件' : '图片.jpg')
  const sha256 = await storeFile(services.dataDir, input.data)
  const kind = input.kind ?? (IMAGE.test(name) ? 'image' : 'file')
  return { ok: true, attachment: { kind, name, sha256, bytes: input.data.length } }
}

/** An article's address as a card: http(s) only, its title the host when none is given. */
export function linkAttachment(url: string, title?: string, description?: string): Stored {
  let parsed: URL
  try {
    parsed = new URL(url.trim())
  } catch {
    return { ok: false, message: attachmentTexts.badLink }
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.href.length > 2_000) {
    return { ok: false, message: attachmentTexts.badLink }
  }
  const clean = (s: string | undefined, max: number) =>
    s === undefined ? '' : [...stripInvisible(s).trim()].slice(0, max).join('')
  const shown = clean(title, MAX_TITLE) || parsed.host
  const below = clean(description, MAX_DESCRIPTION)
  return {
    ok: true,
    attachment: {
      kind: 'link',
      url: parsed.href,
      title: shown,
      ...(below && { description: below }),
    },
  }
}

/** A picture or file as a caller hands it over: the CLI's from a path, the console's uploaded. */
export interface AttachmentInput {
  kind: 'image' | 'file'
  name: string
  data: Buffer
}

/**
 * A notice's attachments from the CLI's flags or the console's form: the files kept in the content
 * store (a picture once however many notices carry it), then the article's card, in that order.
 * The first refusal (too large, a bad link, no store) as one line, and nothing more is stored.
 */
export async function collectAttachments(
  services: Pick<Services, 'notices' | 'dataDir'>,
  input: { files: readonly AttachmentInput[]; link?: { url: string; title?: string | undefined } },
): Promise<NoticeAttachment[] | string> {
  const list: NoticeAttachment[] = []
  for (const file of input.files) {
    const stored = await storeNoticeFile(services, file)
    if (!stored.ok) return stored.message
    list.push(stored.attachment)
  }
  if (input.link) {
    const card = linkAttachment(input.link.url, input.link.title)
    if (!card.ok) return card.message
    list.push(card.attachment)
  }
  return list
}

/** Checks what createNotice is handed (the CLI's, chat's or a caller's list); a refusal or none. */
export function refuseAttachments(
  services: Pick<Services, 'notices' | 'dataDir'>,
  list: readonly NoticeAttachment[],
): string | undefined {
  if (list.length > MAX_NOTICE_ATTACHMENTS) return attachmentTexts.tooMany(MAX_NOTICE_ATTACHMENTS)
  for (const a of list) {
    if (a.kind === 'link') continue
    if (!SHA256.test(a.sha256)) return attachmentTexts.noStore
    if (services.dataDir === undefined) return attachmentTexts.noStore
    const refusal = tooLarge(services, a.bytes)
    if (refusal) return refusal
  }
  return undefined
}

/** The rows of a notice's attachments, positions 1… in the order given. */
export function attachmentRows(noticeId: number, list: readonly NoticeAttachment[]) {
  return list.map((a, i) => ({
    noticeId,
    position: i + 1,
    kind: a.kind as NoticeAttachmentKind,
    ...(a.kind === 'link'
      ? { name: a.title, url: a.url, description: a.description ?? null }
      : { name: a.name, sha256: a.sha256, bytes: a.bytes }),
  }))
}

/** A notice's attachments, in the order they are said. */
export async function noticeAttachmentsOf(db: Db, noticeId: number) {
  return db
    .select()
    .from(noticeAttachments)
    .where(eq(noticeAttachments.noticeId, noticeId))
    .orderBy(asc(noticeAttachments.position))
}

/** "图片 1、文件 1、链接 1" for a preview; '' for none. */
export function attachmentSummary(list: readonly { kind: NoticeAttachmentKind }[]): string {
  const counts = new Map<NoticeAttachmentKind, number>()
  for (const a of list) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1)
  return [...counts].map(([kind, n]) => `${attachmentTexts.kind[kind]} ${n}`).join('、')
}

/**
 * What each group of the notice is said: the signed text, then its attachments as page parts
 * (the file's path in this process's content store, or the card).
 */
export async function noticeContent(
  services: Pick<Services, 'db' | 'dataDir' | 'notices'>,
  notice: { id: number; text: string },
): Promise<NoticeContent> {
  const text = signedText(services, notice)
  const rows = await noticeAttachmentsOf(services.db, notice.id)
  if (rows.length === 0) return { text }
  const parts: PagePart[] = rows.map((a) => {
    const label = `${attachmentTexts.label[a.kind]} ${a.name}`.slice(0, 200)
    if (a.kind === 'link' && a.url) {
      return {
        text: label,
        link: { url: a.url, title: a.name, ...(a.description && { description: a.description }) },
      }
    }
    // A file row always has its hash (refuseAttachments); the path is where this process keeps it.
    return {
      text: label,
      file: { path: attachmentPath(services.dataDir ?? '', a.sha256 ?? ''), name: a.name },
    }
  })
  return { text, parts }
}
