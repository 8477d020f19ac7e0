import type { CliCommand } from '../command.ts'
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './api-key.ts'
import { classifyCli } from './classify.ts'
import { dbMigrate } from './db-migrate.ts'
import { doctor } from './doctor.ts'
import { loginLink } from './login-link.ts'
import { networkGenerate } from './network-generate.ts'
import { networkImport } from './network-import.ts'
import { networkShow } from './network-show.ts'
import { networkTemplate } from './network-template.ts'
import { noticeCancel, noticeConfirm } from './notice-confirm.ts'
import { noticePause, noticeResume } from './notice-pause.ts'
import { noticeRecall } from './notice-recall.ts'
import { noticeResend } from './notice-resend.ts'
import { noticeSend } from './notice-send.ts'
import { noticeStatus } from './notice-status.ts'
import { ordersCatalog } from './orders-catalog.ts'
import { ordersList } from './orders-list.ts'
import { ordersRates } from './orders-rates.ts'
import { parseCli } from './parse.ts'
import { pointsBalance } from './points-balance.ts'
import { pointsReverse } from './points-reverse.ts'
import { pointsApprove, pointsReject, pointsReview } from './points-review.ts'
import { privacyExport, privacyPurge } from './privacy.ts'
import { botCli, schedulerCli, webCli, workerCli } from './roles.ts'
import { startCli } from './start.ts'
import { statusCli } from './status.ts'

/** Every CLI command; --help lists them in this order. */
export const commands: readonly CliCommand[] = [
  startCli,
  botCli,
  workerCli,
  schedulerCli,
  webCli,
  loginLink,
  statusCli,
  doctor,
  dbMigrate,
  networkImport,
  networkShow,
  networkGenerate,
  networkTemplate,
  noticeSend,
  noticeConfirm,
  noticeCancel,
  noticeResend,
  noticePause,
  noticeResume,
  noticeRecall,
  noticeStatus,
  ordersList,
  ordersRates,
  ordersCatalog,
  classifyCli,
  pointsBalance,
  pointsReverse,
  pointsReview,
  pointsApprove,
  pointsReject,
  privacyPurge,
  privacyExport,
  apiKeyCreate,
  apiKeyList,
  apiKeyRevoke,
  parseCli,
]
