import { recordAudit } from '../audit/record-audit.ts'
import { Batcher } from '../core/batcher.ts'
import { cacheKey } from '../core/caches.ts'
import { maskPersonalData } from '../core/personal-data.ts'
import type { Services } from '../core/services.ts'
import type { BoundGroup } from '../network/groups.ts'
import type { KnownMember } from '../network/roles.ts'
import { lookUpSenders } from '../network/senders.ts'
import { authorize } from './authorize.ts'
import { requiredRole } from './commands/grammar.ts'
import { parseCommand } from './commands/parse-command.ts'
import type { Command } from './commands/types.ts'
import {
  type BotAccountRef,
  type ChatContext,
  type Handler,
  type HandlerTable,
  type Incoming,
  PRIVATE_INTENTS,
  UNBOUND_INTENTS,
} from './context.ts'
import { attachToRecentOrder } from './handlers/attachments.ts'
import { holdForNotice } from './handlers/notice-attachments.ts'
import { BUSY, InFlight } from './in-flight.ts'
import { isRoomThrottleNotice } from './system-notice.ts'
import type { TalkerLimit } from './talker-limit.ts'
import { botTexts } from './templates.ts'

export interface MessageDeps {
  services: Services
  account: BotAccountRef
  handlers: HandlerTable
  limit: TalkerLimit
  /** The rooms of this account a talker is a member of (bot/home-rooms.ts). */
  homeRooms?: (talkerId: string) => Promise<string[]>
}

/** Throws at start-up when an intent of the grammar has no handler in the table. */
export function assertHandlersComplete(table: HandlerTable): void {
  const missing = Object.keys(requiredRole).filter(
    (intent) => typeof (table as Record<string, unknown>)[intent] !== 'function',
  )
  if (missing.length > 0) throw new Error(`chat handlers missing for: ${missing.join(', ')}`)
}

/** What the Wechaty edge should do about one message. */
export type Reaction =
  | { kind: 'silent' }
  | { kind: 'reply'; text: string }
  | { kind: 'coolDown'; reason: string }

const SILENT: Reaction = { kind: 'silent' }

/**
 * How many messages one process works on at once (past parsing). A burst beyond that waits its
 * turn in arrival order instead of every handler starting and their statements queueing on the
 * pool's few connections, where each message's latency would become the whole backlog's. Above
 * the intake's batch size, so a batch can still fill.
 */
const MAX_IN_FLIGHT = 256

/**
 * How many messages may wait for a slot: ten seconds of the heaviest intake measured (1,000
 * orders/s). Past that a burst is shed with a reply asking to send again, never kept growing.
 */
const MAX_WAITING = 10_000

/** Reads are short: two may overlap, so one slow statement does not hold up every message. */
const LOOKUPS = { concurrency: 2 }

/** One message's look-up: its room (if any), its talker, and whether it routes an order. */
interface SenderKey {
  roomId: string | undefined
  talkerId: string
  routes: boolean
}

/** Where a message was said and who said it, as the network knows them. */
interface Whereabouts {
  group: BoundGroup | undefined
  member: KnownMember | undefined
}

/** What every bot account of a process shares while handling messages. */
interface Pipeline {
  inFlight: InFlight
  /** Keyed by `keyOf`: messages from the same room and talker share a look-up. */
  senders: Batcher<string, Whereabouts>
}

const PIPELINE = cacheKey<Pipeline>('bot.pipeline')

const keyOf = (k: SenderKey) => JSON.stringify([k.roomId ?? null, k.talkerId, k.routes])

function senderKeyOf(key: string): SenderKey {
  const [roomId, talkerId, routes] = JSON.parse(key) as [string | null, string, boolean]
  return { roomId: roomId ?? undefined, talkerId, routes }
}

/** The process's pipeline: every bot account shares its pool, so they share one. */
function pipelineOf(services: Services): Pipeline {
  return services.caches.of(PIPELINE, () => ({
    inFlight: new InFlight(MAX_IN_FLIGHT, MAX_WAITING),
    // The rooms and talkers of messages arriving together are read in one statement; nothing
    // is kept afterwards, so a binding is always read fresh.
    senders: new Batcher(async (keys) => {
      const asked = keys.map(senderKeyOf)
      const found = await lookUpSenders(services, {
        rooms: asked.flatMap((k) => k.roomId ?? []),
        talkers: asked.map((k) => k.talkerId),
        chainRooms: asked.flatMap((k) => (k.routes && k.roomId ? k.roomId : [])),
      })
      return new Map(
        keys.map((key, i) => {
          const k = asked[i]!
          const group = k.roomId === undefined ? undefined : found.groups.get(k.roomId)
          return [key, { group, member: found.members.get(k.talkerId) }]
        }),
      )
    }, LOOKUPS),
  }))
}

/**
 * One message, start to end: system signal → parse → rate-limit → who and where → authorize →
 * handler → reply. Pure data in and out; the Wechaty adapter performs the reaction.
 */
export async function handleMessage(deps: MessageDeps, incoming: Incoming): Promise<Reaction> {
  if (incoming.type === 'system') {
    // Only WeChat's own notice counts: a member's message, whatever its type, never pauses sends.
    return incoming.fromPlatform && isRoomThrottleNotice(incoming.text)
      ? { kind: 'coolDown', reason: incoming.text }
      : SILENT
  }
  if (incoming.type === 'voice' || incoming.type === 'attachment') return beyondText(deps, incoming)
  if (incoming.type !== 'text') return SILENT

  const parsed = parseCommand(incoming.text, { botNames: deps.account.names })
  if (parsed.kind === 'none') return SILENT
  // "嗯", "1" and "是" are everyday chat too, so they are not counted against the talker: one is
  // answered only when it settles a question the bot asked, itself a counted reply.
  const answer = parsed.kind === 'command' && parsed.command.intent === 'answer'
  if (!answer && !deps.limit.allow(incoming.talkerId)) return SILENT
  const handled = await pipelineOf(deps.services).inFlight.run(() =>
    handleParsed(deps, incoming, parsed),
  )
  if (handled !== BUSY) return handled
  deps.services.log.warn({ roomId: incoming.roomId }, 'message shed: too many waiting')
  return reply(incoming, botTexts.busy)
}

async function handleParsed(
  deps: MessageDeps,
  incoming: Incoming,
  parsed: Exclude<ReturnType<typeof parseCommand>, { kind: 'none' }>,
): Promise<Reaction> {
  // An order routes along its group's unit chain: it is read into the cache with the look-up.
  const routes = parsed.kind === 'command' && parsed.command.intent === 'order'
  const { group, member } = await pipelineOf(deps.services).senders.load(
    keyOf({ roomId: incoming.roomId, talkerId: incoming.talkerId, routes }),
  )
  if (parsed.kind === 'invalid') {
    // Words like 确认 or 完成 are everyday chat too: only people who can use a staff command
    // get its format hint; residents hear nothing.
    const staffOnly = requiredRole[parsed.intent] !== 'resident'
    return staffOnly && !member?.grants.length ? SILENT : reply(incoming, parsed.hint)
  }

  const command = parsed.command
  const { loose } = parsed
  const ctx: ChatContext = {
    services: deps.services,
    account: deps.account,
    incoming,
    group,
    member,
    ...(loose && { loose }),
    ...(deps.homeRooms && { homeRooms: deps.homeRooms }),
  }
  // A line read by the free grammar speaks only where it may act: never "unbound" or "refused"
  // for what may have been chat, and a request is an order only in a residents' group.
  if (loose && incoming.roomId && !group?.active) return SILENT
  if (loose && command.intent === 'order' && group?.kind !== 'residents' && incoming.roomId) {
    return SILENT
  }

  const privateOk = !incoming.roomId && PRIVATE_INTENTS.has(command.intent)
  if (!UNBOUND_INTENTS.has(command.intent) && !privateOk) {
    if (!group?.active) return incoming.roomId ? reply(incoming, botTexts.unbound) : SILENT
    const required = requiredRole[command.intent]
    // The group gates who may speak a staff command here; the handler checks the exact object.
    const auth = authorize(required, member?.grants ?? [], group.unitPath, { orBelow: true })
    if (!auth.allowed) {
      await recordAudit(deps.services.db, {
        memberId: member?.id ?? null,
        actorRef: incoming.talkerId,
        action: `command.${command.intent}`,
        unitId: group.unitId,
        groupId: group.id,
        allowed: false,
        // Enough of the text to see what was tried, without the resident's numbers (PIPL).
        detail: { required: auth.required, text: maskPersonalData(incoming.text.slice(0, 80)) },
      })
      return loose ? SILENT : reply(incoming, botTexts.refused(botTexts.roleName[auth.required]))
    }
  }

  const handler = deps.handlers[command.intent] as Handler<Command['intent']>
  try {
    const text = await handler(ctx, command)
    return text ? reply(incoming, text) : SILENT
  } catch (error) {
    // The one boundary for command failures: logged with where and who, and the person hears
    // that nothing happened, so a resident knows to send the order again.
    deps.services.log.error(
      {
        err: error,
        intent: command.intent,
        order: 'code' in command ? command.code : undefined,
        roomId: incoming.roomId,
        talker: incoming.talkerId,
      },
      'command failed',
    )
    return reply(incoming, botTexts.failed)
  }
}

/**
 * A voice message or a picture from a resident: voice gets one polite line asking for text (in a
 * residents' group or privately, never in staff rooms), a picture or file is offered to the
 * attachment handler. Rate-limited like any reply.
 */
async function beyondText(deps: MessageDeps, incoming: Incoming): Promise<Reaction> {
  if (incoming.type === 'attachment') {
    // Every picture in every group comes here: the handler asks Redis whether the talker just
    // placed an order there before anything else is looked up.
    if (!incoming.roomId) return SILENT
    const ctx: ChatContext = {
      services: deps.services,
      account: deps.account,
      incoming,
      group: undefined,
      member: undefined,
    }
    try {
      let text = await attachToRecentOrder(ctx)
      if (text === undefined) {
        // Else it may be a propagandist's picture for the notice they are about to write.
        const { group, member } = await pipelineOf(deps.services).senders.load(
          keyOf({ roomId: incoming.roomId, talkerId: incoming.talkerId, routes: false }),
        )
        text = await holdForNotice({ ...ctx, group, member })
      }
      return text && deps.limit.allow(incoming.talkerId) ? reply(incoming, text) : SILENT
    } catch (error) {
      deps.services.log.error({ err: error, roomId: incoming.roomId }, 'attachment failed')
      return SILENT
    }
  }
  if (incoming.roomId !== undefined) {
    const { group } = await pipelineOf(deps.services).senders.load(
      keyOf({ roomId: incoming.roomId, talkerId: incoming.talkerId, routes: false }),
    )
    if (!group?.active || group.kind !== 'residents') return SILENT
  }
  return deps.limit.allow(incoming.talkerId) ? reply(incoming, botTexts.voice) : SILENT
}

/** Replies in a room name the talker, since a busy group cannot tell who was answered. */
function reply(incoming: Incoming, text: string): Reaction {
  return { kind: 'reply', text: incoming.roomId ? `@${incoming.talkerName} ${text}` : text }
}
