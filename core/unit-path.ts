/**
 * How a unit path is split into its names. It lives here, below the network, because the chat
 * grammar (bot/commands, which may import only core/) splits a 绑定 path by the same rule.
 */
import { normalizeName } from './text.ts'

/**
 * Between two levels of a path as people write it: '/', '>', '、', ',', an arrow (->, =>, →, »,
 * ›) with any whitespace around it, or whitespace alone ("九龙坡区 石桥铺街道"). One rule for a
 * roster's paths, a 绑定 command and a notice's scope, so a unit is found by the path it was
 * imported under. A backslash is no separator: a unit name may hold one ("反\斜区").
 */
const LEVEL_SEPARATOR = /\s*(?:->|=>|[/>、,→»›])\s*|\s+/

/**
 * Splits a unit path into normalised names, full-width forms folded first (so '／' separates
 * too). Empty names ("a//b", a trailing '/') are kept so a roster import can report them; a
 * reader of typed input drops them.
 */
export function splitPath(path: string): string[] {
  return normalizeName(path).split(LEVEL_SEPARATOR)
}
