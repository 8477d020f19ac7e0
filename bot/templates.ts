/** Every Chinese reply of the bot layer in one place, so wording is reviewed and changed here. */
export const botTexts = {
  help: [
    '圈群助手可以帮您：',
    '· 点单 需求内容 —— 例如「点单 楼道灯坏了」',
    '· 进度 单号 —— 查看办理进度',
    '· 评价 单号 星级 —— 例如「评价 A0042 5」',
    '· 撤单 单号 —— 撤回自己的点单',
    '· 菜单 —— 查看可点的服务',
  ].join('\n'),
  menu: [
    '可点的服务：理论宣讲、教育服务、文化服务、科技科普、卫生健康、体育健身、',
    '法律服务、关爱帮扶、文明创建、基层治理。',
    '发送「点单 需求内容」即可，例如「点单 想请医生来小区量血压」。',
  ].join('\n'),
  unbound: '本群尚未绑定单位，请工作人员发送「绑定 单位路径」，例如「绑定 九龙坡区/石桥铺街道」。',
  refused: (what: string) => `抱歉，您没有在本单位${what}的权限。`,
  roleName: {
    worker: '接办服务',
    station_staff: '派单、上报',
    propagandist: '发布通知',
    staff: '管理群',
  } as const,
  bindUnknownUnit: (path: string) =>
    `未找到单位「${path}」，请检查路径，例如「绑定 九龙坡区/石桥铺街道」。`,
  bindAmbiguous: (name: string, count: number) =>
    `「${name}」对应 ${count} 个单位，请写完整路径，例如「绑定 九龙坡区/石桥铺街道/科园社区」。`,
  bound: (path: string) => `已将本群绑定到「${path}」。`,
  privateOnly: '请在单位群里发送这条指令。',
  notYet: '该功能即将开通，敬请期待。',
  failed: '系统繁忙，请稍后再试。',
} as const
