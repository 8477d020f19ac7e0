import type { HandlerTable } from '../bot/context.ts'

/** Chat commands of propaganda staff: 通知, 确认, 取消, 回执. */
export const broadcastHandlers: HandlerTable = {}
