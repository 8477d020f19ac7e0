import { broadcastHandlers } from '../../broadcasts/chat-handlers.ts'
import { orderHandlers } from '../../orders/chat-handlers.ts'
import type { HandlerTable } from '../context.ts'
import { botTexts } from '../templates.ts'
import { bindHandler } from './bind.ts'

/** Every command the bot acts on, keyed by intent; an intent missing here gets `notYet`. */
export const handlers: HandlerTable = {
  bind: bindHandler,
  help: async () => botTexts.help,
  menu: async () => botTexts.menu,
  ...broadcastHandlers,
  ...orderHandlers,
}
