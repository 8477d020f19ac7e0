/**
 * Every Chinese hint the grammar gives back, in one place for review. Hints never echo the
 * user's text, so each stays short (well under the 500-character cap) whatever was sent.
 */
import type { Intent } from './types.ts'

/** The right form of each command, shown when its arguments are malformed. */
export const usageHints: { readonly [I in Intent]: string } = {
  order: '格式：点单 需求内容（也可用 求助、报修），例如「点单 楼道灯坏了」',
  progress: '格式：进度 单号，例如「进度 A0042」',
  rate: '格式：评价 单号 星级(1-5)，例如「评价 A0042 5」',
  cancelOrder: '格式：撤单 单号，例如「撤单 A0042」（撤回通知请用「撤回 N12」）',
  menu: '格式：菜单',
  help: '格式：帮助',
  verify:
    '格式：核验 要核验的内容，例如「核验 本周六上午九点社区开展义诊……」，或引用那条消息回复「核验」',
  accept: '格式：接单 单号，例如「接单 A0042」',
  complete: '格式：完成 单号 [说明]，例如「完成 A0042 已更换灯泡」',
  returnOrder: '格式：退单 单号 原因，例如「退单 A0042 不在服务范围」',
  myTasks: '格式：我的任务',
  dispatch: '格式：派单 单号 @接单人，例如「派单 A0042 @张三」',
  escalate: '格式：上报 单号 原因，例如「上报 A0042 需要街道协调」',
  recategorize: '格式：改类 单号 类别名称，例如「改类 A0042 法律咨询」',
  notice: '格式：通知 [范围] [仅层级] 正文，例如「通知 【石桥铺街道】 仅网格和楼栋 明天上午停水」',
  confirmNotice: '格式：确认 通知号，例如「确认 N12」',
  cancelNotice: '格式：取消 通知号，例如「取消 N12」（撤销服务单请用「撤单 A0042」）',
  recallNotice: '格式：撤回 通知号，例如「撤回 N12」（停止发送，并撤回 2 分钟内已发出的消息）',
  resendNotice: '格式：重发 通知号，例如「重发 N12」（只重发发送失败的群，每个群一次）',
  pauseNotice: '格式：暂停 通知号，例如「暂停 N12」（未发出的群暂不发送，「继续 N12」恢复）',
  resumeNotice: '格式：继续 通知号，例如「继续 N12」（只发送暂停时未发出的群）',
  receipt: '格式：回执 通知号，例如「回执 N12」',
  correctNotice:
    '格式：更正 通知号 更正内容，例如「更正 N12 停水时间改为周日上午」（只发给收到 N12 的群）',
  bind: '格式：绑定 单位路径，例如「绑定 九龙坡区/石桥铺街道/和平村社区」',
  answer: '请回复「是」或列表里的数字',
  login: '格式：登录（机器人私信回复控制台登录链接）',
}

export const hints = {
  tooLong: (max: number) => `内容过长，请控制在${max}字以内`,
  oneCodeOnly: '一次只能处理一个编号，请分开发送',
  oneAssigneeOnly: '一次只能派给一个人，例如「派单 A0042 @张三」',
  scopeTooLong: '范围过长，请写单位名称或路径，例如【石桥铺街道】',
  pathTooDeep: '单位路径最多六级，例如「绑定 九龙坡区/石桥铺街道/和平村社区」',
} as const
