import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HostPort } from '../../core/config.ts'
import { until } from '../../core/until.ts'
import { redisAnswers } from '../../queues/connection.ts'
import { freePort, portIsFree } from './redis.ts'

/** A command's stdout, or a rejection carrying its stderr. */
function run(file: string, args: string[], opts: { timeout?: number } = {}) {
  return new Promise<{ stdout: string }>((resolve, reject) => {
    execFile(file, args, { ...opts, encoding: 'utf8' }, (error, stdout) =>
      error ? reject(error) : resolve({ stdout }),
    )
  })
}

/** Redis Cluster's bus listens on the client port + 10000. */
const BUS_OFFSET = 10_000

export interface LocalCluster {
  /** The masters' addresses, in the order they were created. */
  nodes: HostPort[]
  /** REDIS_CLUSTER_NODES for them. */
  nodeList: string
  /** A REDIS_URL carrying the cluster's password (its host is one of the masters). */
  url: string
  /** Stops one master (SIGTERM: it writes its AOF out) and starts it again on the same files. */
  restart(port: number): Promise<void>
  /** Kills every server and removes their directory; safe to call twice, or after a failed start. */
  stop(): Promise<void>
}

/** A port whose cluster bus port is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort()
    if (port + BUS_OFFSET <= 65_535 && (await portIsFree(port + BUS_OFFSET))) return port
  }
}

/**
 * A Redis Cluster of `masters` masters on 127.0.0.1 (no replicas), each a redis-server child
 * with AOF on in a directory of its own under one temp dir, a password required as in production,
 * created with `redis-cli --cluster create` and awaited until every node says `cluster_state:ok`.
 */
export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  for (const binary of ['redis-server', 'redis-cli']) {
    await run(binary, ['--version']).catch(() => {
      throw new Error(`${binary} is needed for the cluster test: apt-get install redis-server`)
    })
  }
  const dir = await mkdtemp(join(tmpdir(), 'qq-cluster-'))
  const password = randomBytes(8).toString('hex')
  const redisCli = async (...args: string[]) =>
    (await run('redis-cli', ['-a', password, '--no-auth-warning', ...args], { timeout: 20_000 }))
      .stdout
  const urlOf = (port: number) => `redis://:${password}@127.0.0.1:${port}`
  const servers = new Map<number, ChildProcess>()
  const startServer = async (port: number) => {
    const home = join(dir, String(port))
    await mkdir(home, { recursive: true })
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        home,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '5000',
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--requirepass',
        password,
        '--masterauth',
        password,
      ],
      { stdio: 'ignore' },
    )
    servers.set(port, child)
    await until(() => redisAnswers(urlOf(port), 200), 10_000)
  }
  const stopServer = async (port: number, signal: NodeJS.Signals) => {
    const child = servers.get(port)
    servers.delete(port)
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill(signal)
    await exited
  }
  const nodes: HostPort[] = []
  const stop = async () => {
    await Promise.all([...servers.keys()].map((port) => stopServer(port, 'SIGKILL')))
    await rm(dir, { recursive: true, force: true })
  }
  const clusterOk = async () => {
    for (const n of nodes) {
      const info = await redisCli('-p', String(n.port), 'cluster', 'info').catch(() => '')
      if (!info.includes('cluster_state:ok')) return false
    }
    return true
  }
  try {
    for (let i = 0; i < masters; i++) {
      const port = await clusterPort()
      nodes.push({ host: '127.0.0.1', port })
      await startServer(port)
    }
    await redisCli(
      '--cluster',
      'create',
      ...nodes.map((n) => `${n.host}:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    )
    await until(clusterOk, 20_000)
  } catch (error) {
    await stop()
    throw error
  }
  return {
    nodes,
    nodeList: nodes.map((n) => `${n.host}:${n.port}`).join(','),
    url: urlOf(nodes[0]!.port),
    async restart(port) {
      await stopServer(port, 'SIGTERM')
      await startServer(port)
      await until(clusterOk, 20_000)
    },
    stop,
  }
}
