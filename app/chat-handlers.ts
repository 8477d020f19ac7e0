import type { HandlerTable } from '../bot/context.ts'
import { bindHandler } from '../bot/handlers/bind.ts'
import { loginHandler } from '../bot/handlers/login.ts'
import { noticeHandlers } from '../bot/handlers/notices.ts'
import { orderRequestHandlers } from '../bot/handlers/order-requests.ts'
import { orderHandlers } from '../bot/handlers/orders.ts'
import { verifyHandlers } from '../bot/handlers/verify.ts'
import { botTexts } from '../bot/templates.ts'

/** Every command the bot acts on, keyed by intent; TypeScript and BotAccount check it complete. */
export const chatHandlers: HandlerTable = {
  bind: bindHandler,
  help: async () => botTexts.help,
  login: loginHandler,
  ...noticeHandlers,
  ...orderHandlers,
  ...verifyHandlers,
  ...orderRequestHandlers,
}
