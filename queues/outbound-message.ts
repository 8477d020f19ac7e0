import { z } from 'zod'

const roomId = z.string().min(1).max(200)
// WeChat cuts text messages past a few thousand characters; long notices are split upstream.
const text = z.string().min(1).max(4_000)
const kind = z.enum(['reply', 'dispatch', 'notice'])
const tier = z.number().int().min(1).max(5).optional()
// What the message is about (delivery, order, …), for logs and for the caller's bookkeeping.
const ref = z.string().min(1).max(200).optional()

/**
 * A file to send instead of the text (a resident's picture forwarded to a worker): its path under
 * the data directory and the name shown. The text still says what it is, for logs and hooks.
 */
const file = z.object({ path: z.string().min(1).max(1_000), name: z.string().min(1).max(200) })

/** A shared article as a card (a notice's link): the address, its title and a line under it. */
const link = z.object({
  url: z.string().url().max(2_000),
  title: z.string().min(1).max(200),
  description: z.string().max(500).optional(),
})

/**
 * A message of a page said after its text (a notice's picture, file or article card): `text` says
 * what it is, for logs and hooks; exactly one of `file` and `link` is what is said.
 */
const part = z
  .object({ text, file: file.optional(), link: link.optional() })
  .refine((p) => (p.file === undefined) !== (p.link === undefined), 'a part is a file or a link')

/** Most parts after a page's text (a notice's attachments). */
export const PARTS_MAX = 9

/**
 * A deterministic job id (e.g. `d-42` for delivery 42) makes a second add of the same message a
 * no-op. BullMQ refuses ids with ':' and ids that look like integers (they clash with its own).
 */
export const JobIdSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((id) => !id.includes(':'), 'job id must not contain ":"')
  .refine((id) => `${Number.parseInt(id, 10)}` !== id, 'job id must not be an integer')

/**
 * One message an account's send worker says into one room. Replies answer a resident, dispatches
 * reach grid workers, notices come down the five tiers (tier 1 = district, 5 = building).
 * Parsed again by the worker: data read back from Redis is as untrusted as data from a chat.
 */
export const OutboundMessageSchema = z.object({
  roomId,
  text,
  kind,
  tier,
  ref,
  file: file.optional(),
  /** An article card to send instead of the text. */
  link: link.optional(),
  /**
   * The platform's id of a message this account said earlier, to take back (撤回) instead of
   * saying anything; `text` says what it is.
   */
  recall: z.string().min(1).max(200).optional(),
  /** `roomId` is a contact's id: a private message (asking for it as a room makes puppets err). */
  privately: z.boolean().optional(),
})

export type OutboundMessage = z.infer<typeof OutboundMessageSchema>

/** Most rooms in one page: ~10 KB of job data, and a page's says are one BullMQ job. */
export const PAGE_MAX = 100

/**
 * One text said by one account into many rooms, in order: a notice's sends on that account, a
 * page at a time. A job costs BullMQ two scripts in Redis and the worker a round trip or two, more
 * than the say itself on a fast account, so a notice to 11,000 rooms is ~120 jobs, not 11,000.
 * `jobId` is the id the room's message gets if it has to be retried on its own (send-worker.ts).
 */
export const OutboundPageSchema = z
  .object({
    text,
    kind,
    tier,
    /** Said after the text, by the entries naming them with `part` (1 is the first). */
    parts: z.array(part).min(1).max(PARTS_MAX).optional(),
    to: z
      .array(
        z.object({
          roomId,
          ref,
          jobId: JobIdSchema.optional(),
          /** Which of `parts` this entry says; the text when absent. */
          part: z.number().int().min(1).max(PARTS_MAX).optional(),
        }),
      )
      .min(1)
      .max(PAGE_MAX),
  })
  .refine(
    (page) => page.to.every((e) => e.part === undefined || e.part <= (page.parts?.length ?? 0)),
    'an entry names a part the page does not have',
  )

export type OutboundPage = z.infer<typeof OutboundPageSchema>
export type PageEntry = OutboundPage['to'][number]
export type PagePart = z.infer<typeof part>

/** The message a page says into one of its rooms: its text, or the part the entry names. */
export function messageOf(page: OutboundPage, entry: PageEntry): OutboundMessage {
  const part = entry.part === undefined ? undefined : page.parts?.[entry.part - 1]
  return {
    roomId: entry.roomId,
    ...(part ? { ...part } : { text: page.text }),
    kind: page.kind,
    ...(page.tier === undefined ? {} : { tier: page.tier }),
    ...(entry.ref === undefined ? {} : { ref: entry.ref }),
  }
}

/**
 * BullMQ priority (1 is served first): take-backs (撤回) and replies to residents, then dispatches to workers, then
 * notices by tier so a district notice overtakes a building one. A notice without a tier goes
 * last. Every job gets a priority, so all of them share BullMQ's one prioritized set and jobs of
 * equal priority keep their FIFO order.
 */
export function priorityOf(msg: Pick<OutboundMessage, 'kind' | 'tier' | 'recall'>): number {
  // A take-back races the platform's window (two minutes on WeChat): ahead of everything.
  if (msg.recall !== undefined) return 1
  switch (msg.kind) {
    case 'reply':
      return 1
    case 'dispatch':
      return 2
    case 'notice':
      return 2 + (msg.tier ?? 6)
  }
}
