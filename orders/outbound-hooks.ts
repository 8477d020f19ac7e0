import type { OutboundHookTable } from '../bot/outbound-hooks.ts'

/**
 * Send bookkeeping of orders (ref prefixes 'order' and 'digest'). Nothing to mark per message:
 * the order's state is in its row and timeline. A message given up for good is logged with the
 * order it was about, so someone can tell the worker or resident another way.
 */
export const orderOutbound: OutboundHookTable = {
  order: {
    async failed(services, msg, code, error) {
      services.log.error(
        { order: code, roomId: msg.roomId, kind: msg.kind, error },
        'order message given up',
      )
    },
  },
  digest: {
    async failed(services, msg, day, error) {
      services.log.error({ digest: day, roomId: msg.roomId, error }, 'order digest given up')
    },
  },
}
