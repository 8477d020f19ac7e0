/**
 * Staff and residents name a notice by its code: "N" and the notice id ("N12"). The chat parser
 * already reads "n 12", "Ｎ１２" into "N12"; the CLI also accepts the bare number.
 */

/** PostgreSQL `integer` ids stop here; a longer code can only name a notice that does not exist. */
const MAX_ID = 2_147_483_647

export function noticeCode(id: number): string {
  return `N${id}`
}

/** The id behind "N12", "n12", "N 12" or "12"; undefined when it cannot be a notice id. */
export function parseNoticeCode(code: string): number | undefined {
  const m = /^\s*[Nn]?\s*(\d{1,10})\s*$/.exec(code.normalize('NFKC'))
  if (!m) return undefined
  const id = Number(m[1])
  return id >= 1 && id <= MAX_ID ? id : undefined
}
