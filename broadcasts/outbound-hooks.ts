import type { OutboundHookTable } from '../bot/outbound-hooks.ts'

/** Send bookkeeping of notices (ref prefix 'delivery'). */
export const broadcastOutbound: OutboundHookTable = {}
