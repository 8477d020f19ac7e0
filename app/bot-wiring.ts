import type { HandlerTable } from '../bot/context.ts'
import { DELIVERY_REF } from '../broadcasts/delivery-jobs.ts'
import { DeliveryLedger } from '../broadcasts/delivery-ledger.ts'
import { RECALL_REF, RecallHooks } from '../broadcasts/recall-notice.ts'
import type { Services } from '../core/services.ts'
import { orderSendHooks } from '../orders/send-hooks.ts'
import { AroundSend } from '../queues/send-hooks.ts'
import { chatHandlers } from './chat-handlers.ts'

/**
 * What a process's bot accounts are given: the chat handler table, and the domains' bookkeeping
 * around sends keyed by the kind of message each owns. One AroundSend per process: its accounts
 * share the delivery ledger, so their sends are written together.
 */
export function botWiring(services: Services): { handlers: HandlerTable; aroundSend: AroundSend } {
  const hooks = {
    [DELIVERY_REF]: new DeliveryLedger(services),
    [RECALL_REF]: new RecallHooks(services),
    ...orderSendHooks(services),
  }
  return { handlers: chatHandlers, aroundSend: new AroundSend(hooks, services.log) }
}
