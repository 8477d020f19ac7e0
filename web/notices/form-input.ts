/**
 * The compose form's fields, parsed once at the edge: whatever a browser (or someone editing the
 * request) sends becomes a typed value or is dropped. Authorization is not decided here: the
 * scope is checked by the notice domain against the author's grants, as in chat.
 */
import { GROUP_KINDS } from '../../db/schema/network.ts'
import type { GroupKind, Tier } from '../../network/types.ts'

/** A unit path is a handful of names; anything longer is not one. */
const MAX_SCOPE = 500
/** The notice text is capped by the domain (2,000 code points); this bounds the work before. */
const MAX_TEXT = 20_000

export interface NoticeForm {
  scope: string
  tiers: Tier[]
  kinds: GroupKind[]
  text: string
  /** When to send, as the browser's datetime-local wrote it ('' for now); read in the district's zone. */
  at: string
}

type Field = string | File | (string | File)[] | undefined

const strings = (v: Field): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
    (x): x is string => typeof x === 'string',
  )

export function parseNoticeForm(fields: Record<string, Field>): NoticeForm {
  const [scope = ''] = strings(fields.scope)
  const [text = ''] = strings(fields.text)
  const [at = ''] = strings(fields.at)
  const tiers = [...new Set(strings(fields.tiers).map(Number))]
    .filter((t): t is Tier => Number.isInteger(t) && t >= 1 && t <= 5)
    .sort()
  const kinds = [...new Set(strings(fields.kinds))].filter((k): k is GroupKind =>
    (GROUP_KINDS as readonly string[]).includes(k),
  )
  return {
    scope: scope.slice(0, MAX_SCOPE).trim(),
    tiers,
    kinds,
    text: text.slice(0, MAX_TEXT),
    at: at.slice(0, 40).trim(),
  }
}

/** A notice id from the URL ("12" or "N12"); anything else is no notice. */
export function parseNoticeId(raw: string): number | undefined {
  const m = /^[Nn]?(\d{1,9})$/.exec(raw)
  return m ? Number(m[1]) : undefined
}
