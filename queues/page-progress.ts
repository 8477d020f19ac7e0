import type { SendJob } from './send-queue.ts'

/**
 * A page job's progress (rooms done), written to the job without holding the says up: one write
 * in flight at a time, followed by one with the latest count. A crash loses only the rooms done
 * since the last write that landed: those said within one Redis round trip, one room when a say
 * takes longer than that (a real puppet's does).
 */
export class PageProgress {
  #wanted: number
  #written: number
  #running: Promise<void> = Promise.resolve()
  #busy = false
  #failed: { error: unknown } | undefined

  constructor(
    private readonly job: Pick<SendJob, 'updateProgress'>,
    done: number,
  ) {
    this.#wanted = done
    this.#written = done
  }

  /** `done` rooms are done; written soon, in the order set. */
  set(done: number): void {
    this.#wanted = done
    if (this.#busy) return
    this.#busy = true
    this.#running = this.#pump()
  }

  /** Resolves once the latest count is in Redis; rejects if a write failed. */
  async flush(): Promise<void> {
    await this.#running
    if (this.#failed) {
      const { error } = this.#failed
      this.#failed = undefined
      throw error
    }
    if (this.#written < this.#wanted) {
      const n = this.#wanted
      await this.job.updateProgress(n)
      this.#written = n
    }
  }

  async #pump(): Promise<void> {
    try {
      // The check and the end of the loop run without a pause, so a count set meanwhile is never
      // left behind: it either extends this loop or starts the next.
      while (this.#written < this.#wanted) {
        const n = this.#wanted
        await this.job.updateProgress(n)
        this.#written = n
      }
    } catch (error) {
      this.#failed = { error }
    } finally {
      this.#busy = false
    }
  }
}
