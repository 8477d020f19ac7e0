/**
 * Reusable notices: a text beginning "模板 活动预告" is filled from the "字段：内容" lines that
 * follow. Pure. The wording is the one staff paste every month; the fields are what changes.
 * 活动预告's text carries a 活动时间 line, so its reminders follow by themselves.
 */

interface NoticeTemplate {
  name: string
  /** The text with {字段} placeholders; every placeholder is a required field. */
  text: string
  /** One line on what it is for, shown in the list. */
  about: string
}

export const NOTICE_TEMPLATES: readonly NoticeTemplate[] = [
  {
    name: '活动预告',
    about: '活动前几天发布，按活动时间自动提醒',
    text: '【活动预告】{活动}将在{地点}举行，欢迎居民朋友踊跃参加。\n活动时间 {时间}\n{说明}',
  },
  {
    name: '月度计划',
    about: '月底前发布下月文明实践活动安排',
    text: '【{月份}新时代文明实践活动计划】\n{内容}\n欢迎居民朋友关注参与，具体安排以各站点通知为准。',
  },
  {
    name: '停水',
    about: '计划停水',
    text: '【停水通知】因{原因}，{区域}将于{时间}停水，请居民朋友提前储水。给您带来不便，敬请谅解。',
  },
  {
    name: '停电',
    about: '计划停电',
    text: '【停电通知】因{原因}，{区域}将于{时间}停电，请居民朋友提前做好准备，注意用电安全。',
  },
]

const PLACEHOLDER = /\{([^{}\s]{1,10})\}/gu
/** Fields that may be left out: their line is dropped. */
const OPTIONAL = new Set(['说明'])

export type Filled =
  | { kind: 'plain' }
  | { kind: 'filled'; text: string }
  | { kind: 'list' }
  | { kind: 'unknown'; name: string }
  | { kind: 'missing'; name: string; fields: string[] }

/** The fields of a template, in order of first use. */
export function fieldsOf(template: NoticeTemplate): string[] {
  return [...new Set([...template.text.matchAll(PLACEHOLDER)].map((m) => m[1]!))]
}

/**
 * "模板 活动预告\n活动：社区义诊\n时间：12月20日 上午9点\n地点：科园社区广场" → the filled text.
 * A text not starting with 模板 is plain; "模板" alone asks for the list.
 */
export function fillTemplate(text: string): Filled {
  const head = /^模板\s*[:：]?\s*([^\s；;，,]*)/u.exec(text)
  if (!head) return { kind: 'plain' }
  const name = head[1] ?? ''
  if (name === '') return { kind: 'list' }
  const template = NOTICE_TEMPLATES.find((t) => t.name === name)
  if (!template) return { kind: 'unknown', name }
  const values = new Map<string, string>()
  for (const line of text.slice(head[0].length).split(/\n|；|;/u)) {
    const m = /^\s*([^:：\s]{1,10})\s*[:：]\s*(.+?)\s*$/u.exec(line)
    if (m && !values.has(m[1]!)) values.set(m[1]!, m[2]!)
  }
  const missing = fieldsOf(template).filter((f) => !values.has(f) && !OPTIONAL.has(f))
  if (missing.length > 0) return { kind: 'missing', name, fields: missing }
  const filled = template.text
    .split('\n')
    .filter((line) => [...line.matchAll(PLACEHOLDER)].every((m) => values.has(m[1]!)))
    .join('\n')
    .replace(PLACEHOLDER, (_, field: string) => values.get(field)!)
  return { kind: 'filled', text: filled }
}
