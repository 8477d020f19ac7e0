import type { ImportError } from './import-result.ts'
import type { UnitRow } from './import-rows.ts'
import { ancestorPaths, lastName, parentPath } from './names.ts'
import { reasons } from './templates.ts'
import type { GroupKind, Role, UnitBody } from './types.ts'

/** What the database already holds, as far as the file's rows are concerned. */
export interface KnownNetwork {
  /** Existing units among the file's paths and all their ancestors. */
  unitPaths: ReadonlySet<string>
  /** For the file's topics that exist already: the path of the unit the group belongs to. */
  topicUnits: ReadonlyMap<string, string>
  /** For existing units above the file's rows: the bot account their groups use, if any. */
  unitBots: ReadonlyMap<string, string>
}

export const EMPTY_NETWORK: KnownNetwork = {
  unitPaths: new Set(),
  topicUnits: new Map(),
  unitBots: new Map(),
}

export interface PlannedUnit {
  path: string
  name: string
  tier: number
  parentPath: string | undefined
  body: UnitBody | undefined
}

interface PlannedGroup {
  topic: string
  unitPath: string
  kind: GroupKind
  /** The row's bot or the nearest ancestor's; undefined leaves the group without one. */
  bot: string | undefined
}

interface PlannedMember {
  wechatId: string
  name: string
}

interface PlannedRole {
  wechatId: string
  unitPath: string
  role: Role
}

/** Everything one file asks for, in the order it can be written (units tier by tier). */
export interface ImportPlan {
  units: PlannedUnit[]
  groups: PlannedGroup[]
  botAccounts: string[]
  members: PlannedMember[]
  roles: PlannedRole[]
}

export type PlanResult = { ok: true; plan: ImportPlan } | { ok: false; errors: ImportError[] }

/**
 * Checks the rows against each other and against the database (parents, duplicates, topics,
 * member names) and, when all is well, returns the plan. Pure: the caller looks up `known`.
 */
export function planImport(rows: readonly UnitRow[], known: KnownNetwork): PlanResult {
  const errors: ImportError[] = []
  const byPath = new Map<string, UnitRow>()
  for (const row of rows) {
    const first = byPath.get(row.path)
    if (first) errors.push({ line: row.line, reason: reasons.duplicatePath(first.line) })
    else byPath.set(row.path, row)
  }
  const exists = (path: string) => byPath.has(path) || known.unitPaths.has(path)

  for (const row of byPath.values()) {
    const parent = parentPath(row.path)
    if (parent === undefined || exists(parent)) continue
    const nearest = ancestorPaths(parent).find(exists)
    errors.push({
      line: row.line,
      reason:
        nearest === undefined
          ? reasons.unknownParent(parent)
          : reasons.tierSkipped(parent, nearest),
    })
  }

  const botOf = inheritedBots(byPath, known)
  const groups: PlannedGroup[] = []
  const topicLines = new Map<string, number>()
  const members = new Map<string, PlannedMember & { line: number }>()
  const roles = new Map<string, PlannedRole>()
  const botAccounts = new Set<string>()

  const units = [...byPath.values()].sort((a, b) => a.tier - b.tier || a.line - b.line)
  for (const row of units) {
    if (row.bot) botAccounts.add(row.bot)
    const bot = botOf(row.path)
    for (const g of row.groups) {
      const firstLine = topicLines.get(g.topic)
      const owner = known.topicUnits.get(g.topic)
      if (firstLine !== undefined) {
        errors.push({ line: row.line, reason: reasons.topicInFile(g.topic, firstLine) })
      } else if (owner !== undefined && owner !== row.path) {
        errors.push({ line: row.line, reason: reasons.topicInDb(g.topic, owner) })
      } else {
        topicLines.set(g.topic, row.line)
        groups.push({ topic: g.topic, unitPath: row.path, kind: g.kind, bot })
        if (bot) botAccounts.add(bot)
      }
    }
    for (const m of row.members) {
      const first = members.get(m.wechatId)
      if (first && first.name !== m.name) {
        errors.push({
          line: row.line,
          reason: reasons.wechatIdTwoNames(m.wechatId, first.line, first.name, m.name),
        })
        continue
      }
      if (!first) members.set(m.wechatId, { wechatId: m.wechatId, name: m.name, line: row.line })
      // The same grant twice is harmless: it is one role.
      roles.set(`${m.wechatId}\u0000${row.path}\u0000${m.role}`, {
        wechatId: m.wechatId,
        unitPath: row.path,
        role: m.role,
      })
    }
  }

  if (errors.length > 0) return { ok: false, errors }
  return {
    ok: true,
    plan: {
      units: units.map((row) => ({
        path: row.path,
        name: lastName(row.path),
        tier: row.tier,
        parentPath: parentPath(row.path),
        body: row.body,
      })),
      groups,
      botAccounts: [...botAccounts],
      members: [...members.values()].map(({ wechatId, name }) => ({ wechatId, name })),
      roles: [...roles.values()],
    },
  }
}

/**
 * A row without a bot takes its nearest ancestor's: the row above it in the file, or for a unit
 * only in the database, the account its groups already use.
 */
function inheritedBots(
  byPath: ReadonlyMap<string, UnitRow>,
  known: KnownNetwork,
): (path: string) => string | undefined {
  const memo = new Map<string, string | undefined>()
  const botOf = (path: string): string | undefined => {
    if (memo.has(path)) return memo.get(path)
    const own = byPath.has(path) ? byPath.get(path)!.bot : known.unitBots.get(path)
    const parent = parentPath(path)
    const bot = own ?? (parent === undefined ? undefined : botOf(parent))
    memo.set(path, bot)
    return bot
  }
  return botOf
}
