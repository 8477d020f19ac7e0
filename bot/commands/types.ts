/**
 * What a chat message can ask for, as typed values. The parser (parse-command.ts) turns text
 * into one of these; who may do what (grammar.ts `requiredRole`) and what happens next live
 * elsewhere.
 */

/** A tier of the five-tier network: 1 district 区 … 5 building 楼栋. */
export type Tier = 1 | 2 | 3 | 4 | 5

/**
 * How a resident opened an order: '@' means free text addressed to the bot without a keyword,
 * '请求' a line opened with a request phrase (我要/帮我/麻烦 …) naming a need.
 */
type OrderVerb = '点单' | '求助' | '报修' | '@' | '请求'

export type Stars = 1 | 2 | 3 | 4 | 5

/** 'yes' (是, 对, 要) or the number picked from a numbered list (1-9). */
type Answer = 'yes' | number

/**
 * Order codes are one upper-case letter and 4-6 digits ("A0042"); notice codes are "N" and 1-9
 * digits ("N12"). The letter N is reserved for notices, so order codes never start with N.
 */
type OrderCode = string
type NoticeCode = string

export type Command =
  // residents
  | { intent: 'order'; verb: OrderVerb; text: string }
  | { intent: 'progress'; code: OrderCode }
  | { intent: 'rate'; code: OrderCode; stars: Stars; comment?: string }
  | { intent: 'cancelOrder'; code: OrderCode }
  | { intent: 'menu' }
  | { intent: 'help' }
  /** 核验: is this forwarded text an official notice? Empty when the text is in a quote. */
  | { intent: 'verify'; text?: string }
  // grid workers and volunteers
  | { intent: 'accept'; code: OrderCode }
  | { intent: 'complete'; code: OrderCode; note?: string }
  | { intent: 'returnOrder'; code: OrderCode; reason: string }
  | { intent: 'myTasks' }
  // station staff
  | { intent: 'dispatch'; code: OrderCode; assignee: string }
  | { intent: 'escalate'; code: OrderCode; reason: string }
  /** 改类: the category by its name or code. */
  | { intent: 'recategorize'; code: OrderCode; category: string }
  // propaganda staff
  | { intent: 'notice'; scope?: string; tiers?: Tier[]; text: string }
  | { intent: 'confirmNotice'; code: NoticeCode }
  | { intent: 'cancelNotice'; code: NoticeCode }
  /** 撤回: stop sending and take back what was said (within the platform's window). */
  | { intent: 'recallNotice'; code: NoticeCode }
  | { intent: 'resendNotice'; code: NoticeCode }
  | { intent: 'pauseNotice'; code: NoticeCode }
  | { intent: 'resumeNotice'; code: NoticeCode }
  | { intent: 'receipt'; code: NoticeCode }
  | { intent: 'correctNotice'; code: NoticeCode; text: string }
  // any staff: bind this group to a unit, path names joined by '/'
  | { intent: 'bind'; path: string }
  // anyone: a short answer (是, a digit) to a question the bot asked this talker
  | { intent: 'answer'; answer: Answer }
  // any staff: a one-time link to the staff console, answered privately
  | { intent: 'login' }

export type Intent = Command['intent']

/** The command with the given intent. */
export type CommandOf<I extends Intent> = Extract<Command, { intent: I }>

/** 'worker' = grid worker or volunteer; 'staff' = any staff role; 'resident' = anyone. */
export type RequiredRole = 'resident' | 'worker' | 'station_staff' | 'propagandist' | 'staff'

export interface ParseOptions {
  /** Names the bot is @-mentioned by (its nickname, its alias in the room). */
  botNames?: readonly string[]
}

export type ParseResult =
  /** Ordinary chat: the bot stays silent. */
  | { kind: 'none' }
  | {
      kind: 'command'
      command: Command
      mentionedBot: boolean
      /**
       * Read by the free grammar (free-forms.ts), not from a keyword at the start: acted on only
       * when the talker may give it, silent otherwise. 'unsure': a request whose need is unclear,
       * asked back before it becomes an order.
       */
      loose?: 'sure' | 'unsure'
    }
  /** A keyword with malformed arguments: `hint` is one short Chinese line (≤ 500 chars). */
  | { kind: 'invalid'; intent: Intent; hint: string }
