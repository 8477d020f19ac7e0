import { broadcastOutbound } from '../broadcasts/outbound-hooks.ts'
import { orderOutbound } from '../orders/outbound-hooks.ts'
import type { OutboundHookTable } from './outbound-hooks.ts'

/** Every domain's bookkeeping around sends, keyed by the `ref` prefix it owns. */
export const defaultOutbound: OutboundHookTable = { ...broadcastOutbound, ...orderOutbound }
