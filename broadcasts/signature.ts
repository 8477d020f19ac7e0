/**
 * Every official notice ends with a signature line and its code ("——新时代文明实践中心 N12"): a
 * resident shown a forward can see where it claims to come from, and 核验 tells whether it did.
 */
import type { Services } from '../core/services.ts'
import { noticeCode } from './notice-code.ts'

/** Starts the signature line; 核验 compares what comes before it. */
export const SIGNATURE_MARK = '——'

/** The wording when NOTICE_SIGNATURE is not set. */
const DEFAULT_SIGNATURE = '新时代文明实践中心'

/** The text each group receives for a notice. */
export function signedText(
  services: Pick<Services, 'notices'>,
  notice: { id: number; text: string },
): string {
  const signature = services.notices?.signature ?? DEFAULT_SIGNATURE
  return `${notice.text}\n${SIGNATURE_MARK}${signature} ${noticeCode(notice.id)}`
}

/** A notice as its author wrote it: the text a group received, its signature line removed. */
export function unsigned(said: string): string {
  const at = said.lastIndexOf(`\n${SIGNATURE_MARK}`)
  return at >= 0 ? said.slice(0, at) : said
}
