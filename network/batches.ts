/**
 * Rows per statement. A thousand rows of five columns is 5,000 bind parameters, far below
 * PostgreSQL's 65,535, and large enough that 10,000 groups take ten round trips, not 10,000.
 */
const BATCH_SIZE = 1000

export function* batches<T>(items: readonly T[], size = BATCH_SIZE): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}

/** Runs `query` over `keys` a batch at a time and concatenates the rows. */
export async function selectInBatches<K, R>(
  keys: readonly K[],
  query: (batch: K[]) => Promise<R[]>,
): Promise<R[]> {
  const out: R[] = []
  for (const batch of batches(keys)) out.push(...(await query(batch)))
  return out
}
