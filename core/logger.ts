import { destination, type Logger, pino } from 'pino'
import type { Config } from './config.ts'

export type { Logger }

/** Structured JSON logs on stderr, so stdout stays free for command output (JSON, tables). */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: undefined }, destination(2))
}
