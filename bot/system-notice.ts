import { isThrottleSignal } from '../queues/throttle.ts'

/**
 * Member events quote names that anyone can choose (a nickname "请稍后再试", a topic "操作太频繁"):
 * WeChat never throttles in one of these, so none of them is read as a throttling notice.
 */
const MEMBER_EVENT =
  /加入了群聊|加入群聊|移出了群聊|移出群聊|退出了群聊|修改群名|撤回了一条消息|拍了拍|邀请|成为新群主|群公告|朋友关系|收款|红包/u

/** Quoted spans of a system message: where names and topics sit. */
const QUOTED = /["“'‘「『][^"”'’」』]*["”'’」』]/gu

/** Throttling always speaks of frequency; "稍后再试" alone is how many other notices end too. */
const FREQUENCY = /频繁|頻繁|频率|頻率|too\s*frequent|rate\s*limit/iu

/** WeChat's notices are short; a long text is a forwarded chat record, not a platform signal. */
const MAX_NOTICE = 120

/**
 * True when a system message in a room reads as WeChat throttling the account. Stricter than
 * `isThrottleSignal` (used on send errors, where only the platform speaks): room notices carry
 * people's names, so those are removed and a frequency word is required.
 */
export function isRoomThrottleNotice(text: string): boolean {
  if (text.length === 0 || text.length > MAX_NOTICE || MEMBER_EVENT.test(text)) return false
  const bare = text.replace(QUOTED, '')
  return FREQUENCY.test(bare) && isThrottleSignal(bare)
}

/**
 * Cool-downs started by room notices, per account: at most one per cool-down period and a few an
 * hour, so a notice that is not WeChat's after all cannot keep an account paused.
 */
export class CooldownGate {
  private readonly started: number[] = []

  constructor(
    private readonly cooldownMs: number,
    private readonly perHour = 3,
  ) {}

  allow(now = Date.now()): boolean {
    const hourAgo = now - 3_600_000
    while (this.started.length > 0 && this.started[0]! <= hourAgo) this.started.shift()
    const last = this.started.at(-1)
    if (last !== undefined && now - last < this.cooldownMs) return false
    if (this.started.length >= this.perHour) return false
    this.started.push(now)
    return true
  }
}
