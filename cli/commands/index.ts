import type { CliCommand } from '../command.ts'
import { dbMigrate } from './db-migrate.ts'

/** Every CLI command; --help lists them in this order. */
export const commands: readonly CliCommand[] = [dbMigrate]
