/**
 * Free-text limits in code points (see codePointLength in text.ts); a longer value is refused
 * with the 内容过长 hint. The chat grammar and the notice writers share them, so a notice the
 * grammar accepts is never refused when it is created.
 */
export const limits = {
  text: 500,
  noticeText: 2000,
  scope: 100,
  path: 200,
  pathSegments: 6, // five tiers and room for a city name in front
  assignee: 64,
} as const
