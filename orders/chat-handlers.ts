import type { HandlerTable } from '../bot/context.ts'

/** Chat commands of the service loop: 点单 … 评价, 接单 … 我的任务, 派单, 上报. */
export const orderHandlers: HandlerTable = {}
