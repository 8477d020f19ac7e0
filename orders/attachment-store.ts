/**
 * A resident's pictures: the files in the shared content store (core/content-store.ts) and one
 * `order_attachments` row per order and file.
 */
import { unlink } from 'node:fs/promises'
import { asc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { attachmentPath, type StoredFile } from '../core/content-store.ts'
import type { Db } from '../db/client.ts'
import { noticeAttachments, orderAttachments } from '../db/schema/attachments.ts'
import { orders } from '../db/schema/orders.ts'

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
  // The store is shared: a notice may carry the same bytes (a staff member's own photo).
  const kept = await db
    .selectDistinct({ sha256: orderAttachments.sha256 })
    .from(orderAttachments)
    .where(inArray(orderAttachments.sha256, hashes))
    .union(
      db
        .selectDistinct({ sha256: sql<string>`${noticeAttachments.sha256}` })
        .from(noticeAttachments)
        .where(inArray(noticeAttachments.sha256, hashes)),
    )
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
