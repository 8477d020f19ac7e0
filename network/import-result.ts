/** Rows per table an import created, updated or found already as the file says. */
export interface ImportCounts {
  units: number
  groups: number
  botAccounts: number
  members: number
  roles: number
}

/**
 * A refused row: `line` is the 1-based line of the file where the row starts, or for a
 * workbook the row of the worksheet named by `sheet`; 0 when the whole file is refused.
 */
export interface ImportError {
  line: number
  reason: string
  sheet?: string
}

export type ImportResult =
  | { ok: true; created: ImportCounts; updated: ImportCounts; unchanged: ImportCounts }
  | { ok: false; errors: ImportError[] }

export function zeroCounts(): ImportCounts {
  return { units: 0, groups: 0, botAccounts: 0, members: 0, roles: 0 }
}

/** Errors in file order; a row with several problems lists them in the order they were found. */
export function sortErrors(errors: readonly ImportError[]): ImportError[] {
  // Array sort is stable, so problems found on one row keep their order.
  return [...errors].sort((a, b) => a.line - b.line)
}
