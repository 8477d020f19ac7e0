import { consoleUrlOf } from '../../core/config.ts'
import { CONSOLE_ROLES, issueLoginLink } from '../../network/login-links.ts'
import { findMemberByWechatId } from '../../network/roles.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'
import { cliActor } from './notice-app.ts'

export const loginLink: CliCommand = {
  name: 'login-link',
  usage: 'login-link <微信号>',
  summary: '为工作人员生成控制台一次性登录链接（10 分钟内有效，只能用一次）',
  async run({ args, config, out }) {
    const wechatId = args.join(' ').trim()
    if (!wechatId || wechatId.length > 200)
      throw new UsageError('用法：quanqun login-link <微信号>')
    return withDatabase(config, async ({ db }) => {
      const member = await findMemberByWechatId(db, wechatId)
      if (!member?.grants.some((g) => CONSOLE_ROLES.includes(g.role))) {
        out(`没有微信号为 ${wechatId} 的工作人员`)
        return 1
      }
      const consoleUrl = consoleUrlOf(config.web)
      if (!consoleUrl) throw new UsageError('WEB_PORT 为 0 时请设置 WEB_URL（控制台的访问地址）')
      const link = await issueLoginLink(db, {
        memberId: member.id,
        issuedBy: cliActor().ref,
        consoleUrl,
        now: new Date(),
      })
      out(`${member.name} 的控制台登录链接（10 分钟内有效，只能用一次）：`)
      out(link.url)
      return 0
    })
  },
}
