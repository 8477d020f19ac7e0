import type { CliCommand } from '../command.ts'
import { dbMigrate } from './db-migrate.ts'
import { parseCli } from './parse.ts'

/** Every CLI command; --help lists them in this order. */
export const commands: readonly CliCommand[] = [dbMigrate, parseCli]
