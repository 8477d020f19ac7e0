/**
 * Settings of the service loop, with defaults. `services.orders` overrides them: the demo and
 * the tests shorten SLAs there.
 */
export interface OrderOptions {
  /** Multiplies every SLA duration: 1 in production; tests use ~0.0005 (30 min → 0.9 s). */
  slaScale: number
  /** A resident may place at most this many orders per window (polite refusal beyond). */
  ordersPerWindow: number
  windowMinutes: number
  /**
   * 'least-loaded': one assignee, the worker of the unit with the fewest open orders.
   * 'open': nobody is assigned; the unit's workers are told and the first to 接单 takes it.
   */
  dispatch: 'least-loaded' | 'open'
  /** Love-bank points per volunteer hour (10: half an hour is 5 points, amounts stay integers). */
  pointsPerHour: number
  /** How many times a low rating (≤ 2 stars) may reopen one order before a rating closes it. */
  maxReopens: number
  /**
   * How long a done order waits for its resident's 评价 before it closes itself and the
   * volunteer's points post anyway: many elderly residents never rate.
   */
  rateWaitMinutes: number
  /**
   * A resident repeating the same need (same category, similar words) within this many minutes
   * of an open order of theirs gets that order's code instead of a new one. Other residents'
   * orders are never merged.
   */
  duplicateWindowMinutes: number
  /**
   * Love-bank points one volunteer may earn per local day without review: an earning that would
   * go over waits in `points_pending` for a station's `points approve`.
   */
  pointsPerDay: number
  /**
   * How long a resident asked which category they meant (the classifier was unsure) has to
   * answer before the order goes to the community station's staff as 其他求助. Seconds.
   */
  askSeconds: number
}

const defaultOrderOptions: OrderOptions = {
  slaScale: 1,
  ordersPerWindow: 3,
  windowMinutes: 10,
  dispatch: 'least-loaded',
  pointsPerHour: 10,
  maxReopens: 1,
  rateWaitMinutes: 7 * 24 * 60, // a week
  duplicateWindowMinutes: 24 * 60, // a day
  pointsPerDay: 80, // eight hours of service
  askSeconds: 5 * 60,
}

/** The defaults with a process's overrides (`services.orders`) over them. */
export function orderOptions(services: { orders?: Partial<OrderOptions> }): OrderOptions {
  return { ...defaultOrderOptions, ...services.orders }
}
