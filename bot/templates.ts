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
  // No 请稍后再试 here: WeChat's own throttle notices use those words.
  failed: '系统繁忙，刚才的指令没有办成，请稍后再发一次。',
  busy: '现在消息太多，这条没能处理，请过一分钟再发一次。',
  voice: '语音暂时听不了，请用文字描述您的需求，例如「点单 楼道灯坏了」。',
  confirmOrder: '您是要点单吗？回复「是」',
  noHomeGroup: '没有找到您所在的居民群，请在您的楼栋群或网格群里点单。',
  pickGroup: (topics: readonly string[]) =>
    ['您在多个居民群，请回复数字选择在哪个群办理：', ...topics.map((t, i) => `${i + 1} ${t}`)].join(
      '\n',
    ),
  pickAgain: (count: number) => `请回复 1 到 ${count} 之间的数字。`,
  attached: (code: string) => `已把您发的图片附到点单 ${code}，并转给办理人员。`,
  attachmentTooLarge: (mb: number) => `文件太大（超过 ${mb}MB），请发小一点的图片。`,
  loginLink: (url: string) => `控制台登录链接（10 分钟内有效，只能使用一次，请勿转发）：\n${url}`,
  loginSentPrivately: '登录链接已私信发给您，请查看与我的私聊。',
  consoleOff: '控制台未开启，请联系管理员。',
} as const
