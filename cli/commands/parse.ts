import { parseCommand } from '../../bot/commands/parse-command.ts'
import { type CliCommand, UsageError } from '../command.ts'

/** Shows what the bot would make of a chat message: `quanqun parse "点单 维修 健身器材坏了"`. */
export const parseCli: CliCommand = {
  name: 'parse',
  usage: 'parse "<文本>"',
  summary: '按群聊指令语法解析一条消息，输出 JSON（--bot 名字 模拟 @机器人，多个用逗号分隔）',
  options: { bot: { type: 'string' } },
  async run({ args, flags, out }) {
    if (args.length === 0) throw new UsageError('用法: quanqun parse "<文本>" [--bot 机器人名]')
    const botNames = typeof flags.bot === 'string' ? flags.bot.split(',') : []
    out(JSON.stringify(parseCommand(args.join(' '), { botNames })))
    return 0
  },
}
