/**
 * Residents' personal data in free text (PIPL): mobile numbers, ID card numbers and door numbers
 * of addresses, masked for logs, error text and readers who need the need, not the person.
 */

/** Full-width digits read as digits, so "１３８…" is masked like "138…". */
function halfWidthDigits(text: string): string {
  return text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
}

// Mainland mobile numbers, with or without +86 and separators: 138 1234 5678 → 138****5678.
const MOBILE = /(?<!\d)((?:\+?86[\s-]?)?1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)/g
// Landlines with an area code: 023-6888 1234 → 023-****1234.
const LANDLINE = /(?<!\d)(0\d{2,3}[\s-])\d{3,4}[\s-]?(\d{4})(?!\d)/g
// Resident ID numbers (18 characters, the last may be X): keep the region code only.
const ID_CARD = /(?<![\dA-Za-z])(\d{6})\d{8}\d{3}[\dXx](?![\dA-Za-z])/g
// E-mail addresses (an Open311 request may carry one): keep the first character and the domain.
const EMAIL = /(?<![\w.%+-])([\w%+-])[\w.%+-]*@([\w-]+(?:\.[\w-]+)+)/g
// Door numbers: 3栋2单元501室 → *栋*单元*室 (a day, 20号 after 月, stays); streets stay readable.
const DOOR = /(?<![月\d])\d+(?=\s*(?:号楼|栋|幢|单元|楼|层|室|号|户))/g

export function maskPersonalData(text: string): string {
  return halfWidthDigits(text)
    .replace(ID_CARD, '$1************')
    .replace(MOBILE, '$1****$2')
    .replace(LANDLINE, '$1****$2')
    .replace(EMAIL, '$1***@$2')
    .replace(DOOR, '*')
}
