import type { Services } from '../core/services.ts'
import type { BoundGroup } from '../network/groups.ts'
import type { KnownMember } from '../network/roles.ts'
import type { CommandOf, Intent } from './commands/types.ts'

/** A chat message reduced to plain data at the Wechaty edge. */
export interface Incoming {
  roomId?: string
  topic?: string
  talkerId: string
  talkerName: string
  text: string
  /**
   * 'system' covers WeChat's own notices in a room (e.g. 操作过于频繁), never a person's text;
   * 'voice' a voice message; 'attachment' a picture, video or file (read with `file`).
   */
  type: 'text' | 'system' | 'voice' | 'attachment' | 'other'
  /** A system message WeChat itself showed (delivered as the account's own), not a person's. */
  fromPlatform?: boolean
  /** An attachment's file, fetched from the puppet only when wanted (a FileBox fits). */
  file?: () => Promise<{ name: string; size: number; toBuffer(): Promise<Buffer> }>
  /** A shared article's card (an 'attachment' too), read from the puppet only when wanted. */
  link?: () => Promise<{ url: string; title: string; description?: string | undefined }>
}

export interface BotAccountRef {
  id: number
  name: string
  /** Names the bot is @-mentioned by. */
  names: readonly string[]
}

/** What a command handler knows: who said it, where, and the services to act with. */
export interface ChatContext {
  services: Services
  account: BotAccountRef
  incoming: Incoming
  /** The group bound to the room; undefined in a private chat or an unbound room. */
  group: BoundGroup | undefined
  /** The member behind the talker; undefined for residents (unknown talkers). */
  member: KnownMember | undefined
  /** Read by the free grammar rather than from a keyword (ParseResult `loose`). */
  loose?: 'sure' | 'unsure'
  /** The rooms of this account the talker is a member of (a private order's home group). */
  homeRooms?: (talkerId: string) => Promise<string[]>
}

/** Handles one parsed command and returns the reply text, or nothing to stay silent. */
export type Handler<I extends Intent> = (
  ctx: ChatContext,
  command: CommandOf<I>,
) => Promise<string | undefined>

/** Every intent's handler: the top floor composes it, and the bot refuses to start without one. */
export type HandlerTable = { readonly [I in Intent]: Handler<I> }

/** Part of the table: the handlers of one concern (orders, notices). */
export type SomeHandlers = Partial<HandlerTable>

/**
 * Intents a handler may run without a bound group (private chat or a room not yet bound); their
 * handlers check the talker themselves.
 */
export const UNBOUND_INTENTS: ReadonlySet<Intent> = new Set([
  'bind',
  'help',
  'menu',
  'answer',
  'login',
])

/** Intents a resident may send the bot privately: the handler finds their home group. */
export const PRIVATE_INTENTS: ReadonlySet<Intent> = new Set(['order'])
