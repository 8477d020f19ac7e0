/**
 * A cell as CSV: quoted when it must be, and a leading = + - @ defused with a quote mark, since
 * Excel would run it as a formula (a group topic or a reason is text somebody typed).
 */
export function csvCell(value: string | number): string {
  const text =
    typeof value === 'number' ? String(value) : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** Rows as CSV for Excel and WPS: UTF-8 with a BOM (so Excel reads the Chinese), CRLF lines. */
export function toCsv(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const lines = [headers, ...rows].map((row) => row.map(csvCell).join(','))
  return `\uFEFF${lines.join('\r\n')}\r\n`
}
