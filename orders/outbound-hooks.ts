import type { OutboundHookTable } from '../bot/outbound-hooks.ts'

/** Send bookkeeping of orders (ref prefixes owned by orders). */
export const orderOutbound: OutboundHookTable = {}
