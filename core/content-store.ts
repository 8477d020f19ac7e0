/**
 * The one store of pictures and files, for every domain (a resident's photo on an order, a
 * notice's picture): content-addressed files under DATA_DIR/attachments, the SHA-256 of the bytes
 * being the file's name, so the same bytes are kept once however many rows name them. The rows
 * that name a file belong to the domains (db/schema/attachments.ts); a file is removed only when
 * none does (orders/attachment-store.ts: purgeAttachments).
 */
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** A stored file as a send carries it: its path and the name shown. */
export interface StoredFile {
  path: string
  name: string
}

/** Longest file name kept, in code points (a phone's names are short; a bound all the same). */
const MAX_NAME = 100

export function attachmentPath(dataDir: string, sha256: string): string {
  return join(dataDir, 'attachments', sha256.slice(0, 2), sha256)
}

/** Writes the bytes once under their hash; returns the hash. */
export async function storeFile(dataDir: string, data: Buffer): Promise<string> {
  const sha256 = createHash('sha256').update(data).digest('hex')
  const path = attachmentPath(dataDir, sha256)
  await mkdir(dirname(path), { recursive: true })
  try {
    // 'wx': never rewrite a file another message already stored (same bytes, same name).
    await writeFile(path, data, { flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  return sha256
}

/**
 * A name safe to show and to hand a puppet: no path, no control characters, bounded; `fallback`
 * when nothing is left.
 */
export function safeFileName(name: string, fallback = '图片.jpg'): string {
  const base = name.split(/[\\/]/).pop() ?? ''
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return [...(clean || fallback)].slice(-MAX_NAME).join('')
}
