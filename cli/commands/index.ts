import type { CliCommand } from '../command.ts'
import { dbMigrate } from './db-migrate.ts'
import { networkGenerate } from './network-generate.ts'
import { networkImport } from './network-import.ts'
import { networkShow } from './network-show.ts'
import { parseCli } from './parse.ts'
import { botCli, schedulerCli, workerCli } from './roles.ts'
import { startCli } from './start.ts'
import { statusCli } from './status.ts'

/** Every CLI command; --help lists them in this order. */
export const commands: readonly CliCommand[] = [
  startCli,
  dbMigrate,
  networkImport,
  networkShow,
  networkGenerate,
  parseCli,
  botCli,
  workerCli,
  schedulerCli,
  statusCli,
]
