import type { DefaultJobOptions } from 'bullmq'
import type { Services } from '../core/services.ts'
import type { Stoppable } from '../core/stoppable.ts'
import type { Tier } from '../network/types.ts'
import { createFanoutQueue } from '../queues/fanout-queue.ts'
import { createFanoutWorker, type FanoutWorker } from '../queues/fanout-worker.ts'
import { SendQueues } from '../queues/send-queues.ts'
import type { Takeover } from '../queues/takeover.ts'
import { fanOutTier, type TierQueued } from './fan-out.ts'
import { type Reconciler, type ReconcilerOptions, startReconciler } from './reconciler.ts'

export interface BroadcastWorkerOptions {
  /** The fan-out worker; false runs none in this process (a test's other half runs it). */
  fanout?:
    | false
    | (Takeover & {
        concurrency?: number
        onTierQueued?: (event: TierQueued) => void | Promise<void>
      })
  /** The reconciler loop; false runs none in this process. */
  reconcile?: false | ReconcilerOptions
  /** Merged over send-options.ts for the notice send jobs (tests shorten the backoff). */
  sendJobOptions?: DefaultJobOptions
}

export interface BroadcastWorkers extends Stoppable {
  /** The fan-out worker, when this process runs one (tests close it abruptly). */
  fanoutWorker: FanoutWorker | undefined
  reconciler: Reconciler | undefined
}

/**
 * The broadcast side's background work, run by `quanqun worker` (any number of them): the fan-out
 * worker walking confirmed notices down the tiers, and the reconciler finishing from PostgreSQL
 * whatever Redis lost. Closing lets the tier in hand finish, then closes the queues they add to.
 */
export async function runBroadcastWorkers(
  services: Services,
  options: BroadcastWorkerOptions = {},
): Promise<BroadcastWorkers> {
  const sendQueues = new SendQueues(
    services.connection,
    services.queuePrefix,
    options.sendJobOptions,
  )
  const fanoutQueue = createFanoutQueue({
    connection: services.connection,
    prefix: services.queuePrefix,
  })
  let fanoutWorker: FanoutWorker | undefined
  if (options.fanout !== false) {
    const fo = options.fanout ?? {}
    fanoutWorker = createFanoutWorker({
      connection: services.connection,
      prefix: services.queuePrefix,
      log: services.log,
      ...(fo.concurrency === undefined ? {} : { concurrency: fo.concurrency }),
      ...(fo.lockDurationMs === undefined ? {} : { lockDurationMs: fo.lockDurationMs }),
      ...(fo.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: fo.stalledIntervalMs }),
      process: (payload) =>
        fanOutTier(
          {
            services,
            sendQueues,
            fanoutQueue,
            ...(fo.onTierQueued ? { onTierQueued: fo.onTierQueued } : {}),
          },
          payload.noticeId,
          payload.tier as Tier,
        ),
    })
  }
  const reconciler =
    options.reconcile === false
      ? undefined
      : startReconciler({ services, sendQueues }, options.reconcile ?? {})
  services.log.info(
    {
      fanout: fanoutWorker !== undefined,
      reconcile: options.reconcile === false ? false : (options.reconcile ?? 'defaults'),
    },
    'broadcast workers started',
  )
  return {
    fanoutWorker,
    reconciler,
    async close() {
      await Promise.all([fanoutWorker?.close(), reconciler?.close()])
      // Last: the queues close after the worker and reconciler that add to them.
      await Promise.all([sendQueues.close(), fanoutQueue.close()])
    },
  }
}

/** The `worker` role's entry (app/workers.ts): defaults from the options' comments. */
export async function startBroadcastWorkers(
  services: Services,
  options: BroadcastWorkerOptions = {},
): Promise<Stoppable[]> {
  return [await runBroadcastWorkers(services, options)]
}
