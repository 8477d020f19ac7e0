/**
 * Where a resident's pictures are kept: content-addressed files under DATA_DIR/attachments (the
 * SHA-256 of the bytes is the file's name, so a photo sent twice is stored once) and one
 * `order_attachments` row per order and file.
 */
import { createHash } from 'node:crypto'
import { mkdir, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { asc, eq, inArray, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { orderAttachments } from '../db/schema/attachments.ts'
import { orders } from '../db/schema/orders.ts'

/** A stored file as a send carries it: its path and the name shown. */
export interface StoredFile {
  path: string
  name: string
}

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

/** The files attached to an order, oldest first, as sends carry them. */
export async function attachmentsOf(
  db: Db,
  dataDir: string | undefined,
  orderId: number,
): Promise<(StoredFile & { id: number })[]> {
  if (dataDir === undefined) return []
  const rows = await db
    .select({
      id: orderAttachments.id,
      sha256: orderAttachments.sha256,
      name: orderAttachments.name,
    })
    .from(orderAttachments)
    .where(eq(orderAttachments.orderId, orderId))
    .orderBy(asc(orderAttachments.id))
  return rows.map((r) => ({ id: r.id, name: r.name, path: attachmentPath(dataDir, r.sha256) }))
}

/**
 * Deletes the attachments of anonymised orders (`isPurged` picks them): their rows, then each
 * file no other row still names. Returns how many files were removed. Idempotent: a file already
 * gone is not an error, and a crash between the two steps leaves only an orphan file for the
 * next run to find (its row is gone, so the file stays: at worst bytes, never a link to a person).
 */
export async function purgeAttachments(db: Db, dataDir: string, isPurged: SQL): Promise<number> {
  const dropped = await db
    .delete(orderAttachments)
    .where(
      inArray(orderAttachments.orderId, db.select({ id: orders.id }).from(orders).where(isPurged)),
    )
    .returning({ sha256: orderAttachments.sha256 })
  const hashes = [...new Set(dropped.map((r) => r.sha256))]
  if (hashes.length === 0) return 0
  const kept = await db
    .selectDistinct({ sha256: orderAttachments.sha256 })
    .from(orderAttachments)
    .where(inArray(orderAttachments.sha256, hashes))
  const stillUsed = new Set(kept.map((r) => r.sha256))
  let removed = 0
  for (const sha256 of hashes) {
    if (stillUsed.has(sha256)) continue
    try {
      await unlink(attachmentPath(dataDir, sha256))
      removed++
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return removed
}
