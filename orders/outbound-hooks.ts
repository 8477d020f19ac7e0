import type { OutboundHookTable } from '../bot/outbound-hooks.ts'
import { privateDispatchFailed } from './notify.ts'

/**
 * Send bookkeeping of orders (ref prefixes 'order' and 'digest'). Nothing to mark per message:
 * the order's state is in its row and timeline. A message given up for good is logged with the
 * order it was about; a private dispatch given up is reported to the unit's team, so the worker
 * is reached another way.
 */
export const orderOutbound: OutboundHookTable = {
  order: {
    async failed(services, msg, code, error) {
      services.log.error(
        { order: code, roomId: msg.roomId, kind: msg.kind, error },
        'order message given up',
      )
      if (msg.kind === 'dispatch') await privateDispatchFailed(services, code, msg.roomId)
    },
  },
  digest: {
    async failed(services, msg, day, error) {
      services.log.error({ digest: day, roomId: msg.roomId, error }, 'order digest given up')
    },
  },
}
