/**
 * 三率 as an SVG bar chart the app draws itself (no chart library, no CDN): one row per unit in the
 * order given (ranked), three bars each. Pure; every piece of text is escaped, since unit names
 * come from a roster somebody typed.
 */
import { percent, type RateRow } from './service-rates.ts'
import { ratesTexts, unitLabel } from './templates.ts'

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

// Pixels.
const WIDTH = 760
const LABEL_W = 220
const BAR_W = 440
const BAR_H = 10
const BAR_GAP = 2
const ROW_GAP = 14
const TOP = 60
const ROW_H = 3 * BAR_H + 2 * BAR_GAP + ROW_GAP

const COLOURS = ['#2563eb', '#16a34a', '#d97706'] as const

function bars(r: RateRow): (number | null)[] {
  return [r.responseRate, r.completionRate, r.satisfactionRate]
}

function row(r: RateRow, index: number): string {
  const y = TOP + index * ROW_H
  const label = `${r.rank}. ${unitLabel(r)}`
  const parts = [
    `<text x="${LABEL_W - 8}" y="${y + BAR_H * 2}" text-anchor="end">${escapeXml(label)}</text>`,
  ]
  bars(r).forEach((rate, k) => {
    const by = y + k * (BAR_H + BAR_GAP)
    const w = rate === null ? 0 : Math.round(rate * BAR_W * 10) / 10
    parts.push(
      `<rect x="${LABEL_W}" y="${by}" width="${w}" height="${BAR_H}" fill="${COLOURS[k]}"/>`,
      `<text x="${LABEL_W + w + 4}" y="${by + BAR_H - 1}" font-size="10">${escapeXml(percent(rate))}</text>`,
    )
  })
  return parts.join('')
}

function legend(): string {
  return ratesTexts.rateNames
    .map((name, k) => {
      const x = LABEL_W + k * 110
      return (
        `<rect x="${x}" y="34" width="12" height="12" fill="${COLOURS[k]}"/>` +
        `<text x="${x + 16}" y="44">${escapeXml(name)}</text>`
      )
    })
    .join('')
}

/** The chart of `rows` in their order (rank them first); a standalone SVG document. */
export function renderRatesChart(
  rows: readonly RateRow[],
  title: string = ratesTexts.chartTitle,
): string {
  const height = TOP + Math.max(rows.length, 1) * ROW_H
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" `,
    `viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(title)}" `,
    'font-family="sans-serif" font-size="12">',
    `<title>${escapeXml(title)}</title>`,
    `<text x="8" y="20" font-size="16">${escapeXml(title)}</text>`,
    legend(),
    // The 100 % line, so a short bar reads as short.
    `<line x1="${LABEL_W + BAR_W}" y1="${TOP - 6}" x2="${LABEL_W + BAR_W}" y2="${height}" stroke="#ccc"/>`,
    rows.length === 0
      ? `<text x="${LABEL_W}" y="${TOP + 12}">${escapeXml(ratesTexts.none)}</text>`
      : rows.map(row).join(''),
    '</svg>',
  ].join('')
}
