import type { Services } from '../core/services.ts'
import type { SendHooks } from '../queues/send-hooks.ts'
import { DIGEST_REF } from './digest.ts'
import { ORDER_REF, privateDispatchFailed } from './notify.ts'

/**
 * Send bookkeeping of orders. Nothing to mark per message: the order's state is in its row and
 * timeline. A message given up for good is logged with the order it was about; a private
 * dispatch given up is reported to the unit's team, so the worker is reached another way.
 */
export function orderSendHooks(services: Services): Record<string, SendHooks> {
  return {
    [ORDER_REF]: {
      async failed(msg, code, error) {
        services.log.error(
          { order: code, roomId: msg.roomId, kind: msg.kind, error },
          'order message given up',
        )
        if (msg.kind === 'dispatch') await privateDispatchFailed(services, code, msg.roomId)
      },
    },
    [DIGEST_REF]: {
      async failed(msg, day, error) {
        services.log.error({ digest: day, roomId: msg.roomId, error }, 'order digest given up')
      },
    },
  }
}
