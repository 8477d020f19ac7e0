import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import type { Config } from '../core/config.ts'

/** A single server or a Redis Cluster: BullMQ takes either, and so does everything in queues/. */
export type RedisClient = Redis | Cluster

/**
 * Where Redis is: a URL, or the config's URL and cluster nodes. With cluster nodes the client is
 * a Cluster seeded with them, and the URL lends it only its user, password and TLS (rediss://).
 */
export type RedisTarget = string | Pick<Config, 'redisUrl' | 'redisClusterNodes'>

function clusterOf(target: RedisTarget): Config['redisClusterNodes'] {
  return typeof target === 'string' ? undefined : target.redisClusterNodes
}

function urlOf(target: RedisTarget): string {
  return typeof target === 'string' ? target : target.redisUrl
}

/** The credentials and TLS of a redis:// or rediss:// URL, for every node of a cluster. */
function nodeOptionsOf(url: string): RedisOptions {
  const u = new URL(url)
  return {
    ...(u.username && { username: decodeURIComponent(u.username) }),
    ...(u.password && { password: decodeURIComponent(u.password) }),
    ...(u.protocol === 'rediss:' && { tls: {} }),
  }
}

/** A client on `target`: `options` apply to the server, or to every node of the cluster. */
function openClient(
  target: RedisTarget,
  options: RedisOptions,
  cluster: ClusterOptions = {},
): RedisClient {
  const nodes = clusterOf(target)
  if (!nodes) return new Redis(urlOf(target), options)
  const { lazyConnect, enableOfflineQueue, ...node } = options
  return new Cluster(
    nodes.map((n) => ({ ...n })),
    {
      ...cluster,
      ...(lazyConnect === undefined ? {} : { lazyConnect }),
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      redisOptions: { ...nodeOptionsOf(urlOf(target)), ...node },
    },
  )
}

/**
 * The Redis connection BullMQ queues and workers share. Workers block on Redis and must wait out a
 * reconnect instead of failing the command, hence `maxRetriesPerRequest: null` (BullMQ refuses a
 * worker connection without it). `lazy` never connects until used: for a caller that will not
 * queue (it found Redis down).
 */
export function createRedis(url: string, opts?: { lazy?: boolean }): Redis
export function createRedis(target: RedisTarget, opts?: { lazy?: boolean }): RedisClient
export function createRedis(target: RedisTarget, opts: { lazy?: boolean } = {}): RedisClient {
  // A cluster keeps asking for its slot map while a node restarts (ioredis's default retry).
  return openClient(target, opts.lazy ? { lazyConnect: true } : { maxRetriesPerRequest: null })
}

/** The masters of a cluster (each holds its own keys: SCAN and INFO ask each), or the one server. */
export function redisMasters(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client]
}

/**
 * A throw-away connection that neither queues commands nor retries, so a missing server is
 * reported at once instead of hanging; the caller connects it, and ignores its 'error' events.
 */
export function probeRedis(target: RedisTarget, timeoutMs: number): RedisClient {
  const probe = openClient(
    target,
    {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: timeoutMs,
    },
    { clusterRetryStrategy: () => null },
  )
  // A refused connection is an answer ("no"), not an unhandled 'error' event.
  probe.on('error', () => {})
  return probe
}

/**
 * True when Redis answers PING at `target` within `timeoutMs` (a cluster: when it reports its
 * state ok): for tests, the CLI and for `start` deciding whether to launch a local redis-server.
 */
export async function redisAnswers(target: RedisTarget, timeoutMs = 1_000): Promise<boolean> {
  const probe = probeRedis(target, timeoutMs)
  try {
    await probe.connect()
    if (probe instanceof Cluster)
      return /cluster_state:ok/.test(String(await probe.cluster('INFO')))
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}
