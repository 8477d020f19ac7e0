import type { Logger } from './logger.ts'

/**
 * Runs `stop` once on SIGINT/SIGTERM and resolves when it is done; a second signal exits at once,
 * for an operator who really means it.
 */
export function onShutdown(log: Logger, stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130)
      stopping = true
      log.info({ signal }, 'shutting down')
      stop().then(resolve, (error: unknown) => {
        log.error({ err: error }, 'shutdown failed')
        resolve()
      })
    }
    process.once('SIGINT', handler)
    process.once('SIGTERM', handler)
  })
}
