import { errorText } from '../queues/throttle.ts'

/** Why a puppet is not running, as an operator can act on it. */
export type PuppetErrorKind =
  | 'not-installed'
  | 'network'
  | 'token'
  | 'logged-out'
  | 'banned'
  | 'unknown'

export interface PuppetError {
  kind: PuppetErrorKind
  /** True when trying again cannot help: someone must change a setting or the account. */
  fatal: boolean
  /** One line for the operator: what it is and what to do. */
  hint: string
}

/** What to do, per kind: printed when it happens and by `quanqun status` afterwards. */
export const PUPPET_HINTS: Readonly<Record<PuppetErrorKind, string>> = {
  'not-installed': 'WECHATY_PUPPET 指定的 puppet 未安装：用 npm install 安装它，或改正包名',
  token: 'token 缺失或无效：检查 WECHATY_PUPPET_SERVICE_TOKEN（向服务商核对）',
  banned: '账号被微信封禁或限制：换用其他账号，并放慢发送节奏',
  'logged-out': '账号已退出登录：运行 quanqun bot 后用该账号的微信重新扫码',
  network: '连不上微信服务：检查网络或服务商地址，稍后自动重试',
  unknown: '机器人启动失败，原因不明：设置 QUANQUN_DEBUG=1 查看详情，稍后自动重试',
}

// First match wins: a gRPC UNAUTHENTICATED also says "UNAVAILABLE"-ish things in its details.
const RULES: readonly { kind: PuppetErrorKind; test: RegExp; fatal: boolean }[] = [
  {
    kind: 'not-installed',
    test: /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND/i,
    fatal: true,
  },
  {
    kind: 'token',
    test: /UNAUTHENTICATED|invalid.{0,20}token|token.{0,20}(invalid|missing|required|not found)|WECHATY_PUPPET_SERVICE_TOKEN/i,
    fatal: true,
  },
  {
    kind: 'banned',
    test: /\bbanned\b|封号|封禁|限制登录|account.{0,20}(suspended|disabled|blocked)/i,
    fatal: true,
  },
  {
    kind: 'logged-out',
    test: /logged ?out|\blogout\b|not logged in|login.{0,20}expired|已退出登录|重新登录/i,
    fatal: false,
  },
  {
    kind: 'network',
    test: /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|\bUNAVAILABLE\b|RST_STREAM|DEADLINE_EXCEEDED|socket hang up|network|timed? ?out/i,
    fatal: false,
  },
]

/** A puppet's start or runtime error, read for what an operator can do about it. Pure. */
export function classifyPuppetError(error: unknown): PuppetError {
  const text = errorText(error)
  const rule = RULES.find((r) => r.test.test(text))
  const kind = rule?.kind ?? 'unknown'
  return { kind, fatal: rule?.fatal ?? false, hint: PUPPET_HINTS[kind] }
}

/** The line for a start given up after `retries` more tries: what was wrong and what to fix. */
export function gaveUpHint(why: PuppetError, retries: number): string {
  const fix =
    why.kind === 'network'
      ? '连不上 puppet 服务：检查 WECHATY_PUPPET_SERVICE_ENDPOINT、网络和服务商状态'
      : why.hint
  return `${fix}（重试 ${retries} 次仍失败，已放弃；修正后重启 quanqun bot）`
}

// gRPC's own words for a channel or stream that is gone, as @grpc/grpc-js reports them.
const CONNECTION_LOST =
  /^(\w+: )*(14 UNAVAILABLE|13 INTERNAL: Received RST_STREAM|1 CANCELLED)\b|Connection dropped|ECONNRESET/

/**
 * Whether a running puppet's error says its connection to the provider is gone, so the client
 * must be rebuilt. Errors the provider merely relays (its own timeouts, network words in a
 * message) are not: a reconnect would restart a puppet that works. Pure.
 */
export function lostConnection(error: unknown): boolean {
  return CONNECTION_LOST.test(errorText(error))
}
