import {
  type DestinationStream,
  destination,
  type Logger,
  type LoggerOptions,
  pino,
  stdSerializers,
} from 'pino'
import pretty from 'pino-pretty'
import type { Config } from './config.ts'
import { maskPersonalData } from './personal-data.ts'

export type { Logger }

/** Keys whose values never reach a log line, at the top and one level down. */
const SECRET_KEYS = ['token', 'password', 'secret', 'authorization', 'cookie']

/** How deep a log object is walked for personal data; logs are flat, errors nest a little. */
const MAX_DEPTH = 4

/** Every string in a log object with phone numbers, ID numbers and door numbers masked. */
function masked(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPersonalData(value)
  // Errors are left to the `err` serializer below, which masks what it serializes.
  if (value instanceof Error) return value
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => masked(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = masked(v, depth + 1)
  return out
}

/**
 * Residents' data and credentials never reach a log (PIPL): secrets by key, phone and ID numbers
 * wherever they appear in a message or a field, errors included.
 */
const privacyOptions: LoggerOptions = {
  redact: {
    paths: SECRET_KEYS.flatMap((k) => [k, `*.${k}`]),
    censor: '[redacted]',
  },
  formatters: { log: (obj) => masked(obj) as Record<string, unknown> },
  serializers: { err: (error: Error) => masked(stdSerializers.err(error)) },
  hooks: {
    logMethod(args, method) {
      const [first, ...rest] = args
      const clean = typeof first === 'string' ? maskPersonalData(first) : first
      method.apply(this, [
        clean,
        ...rest.map((a) => (typeof a === 'string' ? maskPersonalData(a) : a)),
      ] as Parameters<typeof method>)
    },
  },
}

/**
 * Logs on stderr, so stdout stays free for command output (JSON, tables): one coloured line per
 * event when a person watches the terminal (pino-pretty), JSON lines for everything else (files,
 * journald, a log shipper). Masking happens before either.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  to: DestinationStream = defaultDestination(),
): Logger {
  return pino({ level: config.logLevel, base: undefined, ...privacyOptions }, to)
}

function defaultDestination(): DestinationStream {
  if (!process.stderr.isTTY) return destination(2)
  return pretty({
    destination: 2,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    singleLine: true,
  })
}
