/**
 * A question the bot asked one talker in one conversation, waiting for the answer: "您是要点单吗？
 * 回复「是」" or "请回复数字选择您所在的群". Kept in Redis with an expiry, so any bot process holding
 * the account reads it and an unanswered question simply lapses; taken (read and deleted) once.
 */
import { z } from 'zod'
import type { Services } from '../core/services.ts'

/** How long a question waits for its answer, in seconds. */
const ANSWER_TTL_S = 10 * 60

const OrderDraft = z.object({
  text: z.string().min(1).max(1_000),
  verb: z.enum(['点单', '求助', '报修', '@', '请求']),
})

const PendingSchema = z.discriminatedUnion('kind', [
  /** An unclear request in a group: 是 places it there. */
  z.object({ kind: z.literal('confirmOrder'), order: OrderDraft, groupId: z.number().int() }),
  /** An order sent privately by a resident of several groups: the number picks the group. */
  z.object({
    kind: z.literal('pickGroup'),
    order: OrderDraft,
    roomIds: z.array(z.string().min(1).max(200)).min(2).max(9),
  }),
])

export type PendingQuestion = z.infer<typeof PendingSchema>

/** Where the question was asked: the account, the room (or the talker for a private chat), who. */
export interface AskedWhere {
  account: string
  conversationId: string
  talkerId: string
}

const keyOf = (services: Services, where: AskedWhere) =>
  `${services.queuePrefix}:ask:${JSON.stringify([where.account, where.conversationId, where.talkerId])}`

/** Records the question, replacing any earlier one of the same talker there. */
export async function askQuestion(
  services: Services,
  where: AskedWhere,
  question: PendingQuestion,
): Promise<void> {
  await services.connection.set(
    keyOf(services, where),
    JSON.stringify(question),
    'EX',
    ANSWER_TTL_S,
  )
}

/** The question waiting for this talker's answer, taken so one answer settles it once. */
export async function takeQuestion(
  services: Services,
  where: AskedWhere,
): Promise<PendingQuestion | undefined> {
  const raw = await services.connection.getdel(keyOf(services, where))
  if (raw === null) return undefined
  // Read back from Redis: as untrusted as a chat message.
  try {
    const parsed = PendingSchema.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}
