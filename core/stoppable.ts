/** Anything a role starts and must close on shutdown (a worker, a cron task, a queue). */
export interface Stoppable {
  close(): Promise<void>
}
