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
/** An address or title past this is refused by the domain anyway; this bounds the work before. */
const MAX_LINK = 4_000

export interface NoticeForm {
  scope: string
  tiers: Tier[]
  kinds: GroupKind[]
  text: string
  /** When to send, as the browser's datetime-local wrote it ('' for now); read in the district's zone. */
  at: string
  /** The picture and file chosen, in that order (an empty file input sends nothing). */
  uploads: { kind: 'image' | 'file'; file: File }[]
  /** An article to share after the text, and its title ('' for none). */
  link: string
  linkTitle: string
}

type Field = string | File | (string | File)[] | undefined

const strings = (v: Field): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
    (x): x is string => typeof x === 'string',
  )

const files = (v: Field): File[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
    (x): x is File => typeof x !== 'string' && x.size > 0,
  )

export function parseNoticeForm(fields: Record<string, Field>): NoticeForm {
  const [scope = ''] = strings(fields.scope)
  const [text = ''] = strings(fields.text)
  const [at = ''] = strings(fields.at)
  const [link = ''] = strings(fields.link)
  const [linkTitle = ''] = strings(fields.linkTitle)
  // One of each, as the form offers: a forged request with more gets the first.
  const uploads = (['image', 'file'] as const).flatMap((kind) =>
    files(fields[kind])
      .slice(0, 1)
      .map((file) => ({ kind, file })),
  )
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
    uploads,
    link: link.slice(0, MAX_LINK).trim(),
    linkTitle: linkTitle.slice(0, MAX_LINK).trim(),
  }
}

/** A notice id from the URL ("12" or "N12"); anything else is no notice. */
export function parseNoticeId(raw: string): number | undefined {
  const m = /^[Nn]?(\d{1,9})$/.exec(raw)
  return m ? Number(m[1]) : undefined
}
