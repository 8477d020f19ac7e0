import type { GroupKind, Role, UnitBody } from './types.ts'

/**
 * The words a CSV may use, Chinese first (what district staff type), English second (what a
 * script writes). Lookups are on NFKC-normalised, lower-cased text.
 */

export type Column = 'path' | 'body' | 'groups' | 'bot' | 'members'

export const COLUMN_WORDS: Record<string, Column> = {
  路径: 'path',
  path: 'path',
  阵地: 'body',
  body: 'body',
  群: 'groups',
  groups: 'groups',
  机器人: 'bot',
  bot: 'bot',
  成员: 'members',
  members: 'members',
}

/** The Chinese header of each column, for messages and for the generator. */
export const COLUMN_LABELS: Record<Column, string> = {
  path: '路径',
  body: '阵地',
  groups: '群',
  bot: '机器人',
  members: '成员',
}

export const BODY_WORDS: Record<string, UnitBody> = {
  中心: 'centre',
  实践中心: 'centre',
  centre: 'centre',
  所: 'institute',
  实践所: 'institute',
  institute: 'institute',
  站: 'station',
  实践站: 'station',
  station: 'station',
  点: 'point',
  实践点: 'point',
  point: 'point',
}

export const BODY_LABELS: Record<UnitBody, string> = {
  centre: '中心',
  institute: '所',
  station: '站',
  point: '点',
}

export const KIND_WORDS: Record<string, GroupKind> = {
  居民: 'residents',
  residents: 'residents',
  工作: 'workers',
  workers: 'workers',
  管理: 'staff',
  staff: 'staff',
}

export const KIND_LABELS: Record<GroupKind, string> = {
  residents: '居民',
  workers: '工作',
  staff: '管理',
}

export const ROLE_WORDS: Record<string, Role> = {
  宣传员: 'propagandist',
  propagandist: 'propagandist',
  站点人员: 'station_staff',
  station_staff: 'station_staff',
  网格员: 'grid_worker',
  grid_worker: 'grid_worker',
  志愿者: 'volunteer',
  volunteer: 'volunteer',
  管理员: 'admin',
  admin: 'admin',
}

export const ROLE_LABELS: Record<Role, string> = {
  propagandist: '宣传员',
  station_staff: '站点人员',
  grid_worker: '网格员',
  volunteer: '志愿者',
  admin: '管理员',
}

/** Looks a word up; `Object.hasOwn` so "constructor" or "__proto__" in a cell is just unknown. */
export function lookupWord<T>(table: Record<string, T>, word: string): T | undefined {
  const key = word.toLowerCase()
  return Object.hasOwn(table, key) ? table[key] : undefined
}
