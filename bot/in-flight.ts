/** What `InFlight.run` returns instead of running work that found the waiting line full. */
export const BUSY: unique symbol = Symbol('busy')

/** A FIFO counting semaphore with a bounded waiting line. */
export class InFlight {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T | typeof BUSY> {
    if (this.active < this.max) this.active++
    else if (this.waiting.length >= this.maxWaiting) return BUSY
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await work()
    } finally {
      // The slot passes straight to the next message, or is given back.
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}
