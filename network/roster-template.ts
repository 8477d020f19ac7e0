import ExcelJS from 'exceljs'
import type { Column } from './vocabulary.ts'
import { BODY_LABELS, COLUMN_LABELS, KIND_LABELS, ROLE_LABELS } from './vocabulary.ts'

const COLUMNS: readonly Column[] = ['path', 'body', 'groups', 'bot', 'members']

/** The example row: the district row of fixtures/sample-district.csv, importable on its own. */
export const TEMPLATE_EXAMPLE: Record<Column, string> = {
  path: '九龙坡区',
  body: '中心',
  groups: '九龙坡区文明实践中心工作群#管理',
  bot: 'bot-yangjiaping',
  members: '王芳:宣传员:wxid_wangfang;赵磊:管理员:wxid_zhaolei',
}

const words = (labels: Record<string, string>) => Object.values(labels).join('、')

/** The notes sheet: one row per column (Chinese), then general rules. */
const NOTES: Record<Column, { required: string; width: number; text: string }> = {
  path: {
    required: '必填',
    width: 48,
    text:
      '单位从区开始逐级的名称，用 / 连接，例如 九龙坡区/石桥铺街道/科园社区/第一网格/1栋。' +
      '名称个数就是层级：1 区、2 街道/镇（或区级部门）、3 社区/村、4 网格、5 楼栋。' +
      '上级单位须在本文件或已导入的数据中；同一路径只能出现一次。',
  },
  body: {
    required: '选填',
    width: 10,
    text: `该单位的文明实践阵地：${words(BODY_LABELS)}（也可写 实践中心 等）。留空：新单位没有阵地，已有单位保持原样。`,
  },
  groups: {
    required: '选填',
    width: 40,
    text:
      `该单位的微信群，多个用 ; 分隔；每个写 群名 或 群名#类型，类型为 ${words(KIND_LABELS)}（默认居民）。` +
      '群名在整个网络中只能属于一个单位。',
  },
  bot: {
    required: '选填',
    width: 20,
    text: '在本行各群中的机器人账号。留空：沿用最近上级单位的机器人。',
  },
  members: {
    required: '选填',
    width: 48,
    text:
      `在该单位有角色的人，多个用 ; 分隔；每个写 姓名:角色:微信号，角色为 ${words(ROLE_LABELS)}。` +
      '微信号必填（按微信号识别成员，不按昵称）；同一微信号在文件中只能对应一个姓名。角色覆盖该单位及其下级。',
  },
}

const GENERAL_NOTES = [
  '第一个工作表的第一行是表头，列的顺序可以调整；可以有多个工作表（例如每个街道一个），每个含表头的工作表都会被导入。',
  '所有单元格请用文本格式（模板已设置），不要用公式、日期或合并单元格；微信号、群名即使全是数字也请按文本填写。',
  '名称中不能含 / ; : 和结尾的 #类型，也不能含换行、制表符等不可见字符；每个名称不超过 100 个字符。',
  '文件有任何错误时整份不导入，并列出每个错误所在的工作表和行号。重复导入同一文件不会改变任何数据；导入只新增和更新，不删除。',
  '示例行来自样例区（九龙坡区），导入前请替换为本区的实际数据。',
]

/** An empty roster workbook: the header row, one example row and a sheet of notes. */
export async function rosterTemplate(): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook()
  workbook.creator = 'quanqun'
  const roster = workbook.addWorksheet('名册', { views: [{ state: 'frozen', ySplit: 1 }] })
  roster.columns = COLUMNS.map((column) => ({
    header: COLUMN_LABELS[column],
    key: column,
    width: NOTES[column].width,
    // Text format, so an id typed as digits stays text.
    style: { numFmt: '@' },
  }))
  roster.getRow(1).font = { bold: true }
  roster.addRow(COLUMNS.map((column) => TEMPLATE_EXAMPLE[column]))

  const notes = workbook.addWorksheet('填写说明')
  notes.columns = [
    { header: '列', width: 10 },
    { header: '是否必填', width: 10 },
    { header: '填写说明', width: 90 },
    { header: '示例', width: 50 },
  ]
  notes.getRow(1).font = { bold: true }
  for (const column of COLUMNS)
    notes.addRow([
      COLUMN_LABELS[column],
      NOTES[column].required,
      NOTES[column].text,
      TEMPLATE_EXAMPLE[column],
    ])
  notes.addRow([])
  for (const note of GENERAL_NOTES) notes.addRow(['', '', note])
  notes.getColumn(3).alignment = { wrapText: true, vertical: 'top' }
  return new Uint8Array(await workbook.xlsx.writeBuffer())
}
