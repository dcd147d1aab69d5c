import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { canConnect, freePort, startRedisServer, type RedisServer } from './redis-server.js';
import { until } from './until.js';

/** Slots of a Redis Cluster. */
const SLOTS = 16_384;

/** A Redis Cluster of `redis-server` processes on loopback, each a primary with a share of the slots. */
export interface RedisClusterServers {
  /** `redis+cluster://127.0.0.1:<p1>,…`: what `REDIS_URL` takes. */
  url: string;
  primaries: readonly RedisServer[];
  /** The primary that serves `slot` (by the slot ranges given at start). */
  primaryOfSlot(slot: number): RedisServer;
  stop(): Promise<void>;
}

async function clusterInfo(port: number): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return String(await client.call('CLUSTER', 'INFO'));
  } finally {
    client.disconnect();
  }
}

/**
 * Starts a Redis Cluster of `primaries` (default 3) `redis-server --cluster-enabled yes` processes:
 * slots split in equal ranges with `CLUSTER ADDSLOTSRANGE`, nodes introduced with `CLUSTER MEET`,
 * ready once every node says `cluster_state:ok`. No `redis-cli`, no replicas.
 */
export async function startRedisCluster(options: { primaries?: number } = {}): Promise<RedisClusterServers> {
  const count = options.primaries ?? 3;
  // Each node's cluster bus gets a free port of its own (by default port + 10,000, which may be taken).
  const busPorts = await Promise.all(Array.from({ length: count }, () => freePort()));
  const started = await Promise.allSettled(
    busPorts.map((busPort) =>
      startRedisServer([
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
        '--cluster-port',
        String(busPort),
      ]),
    ),
  );
  const primaries = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = () => Promise.all(primaries.map((p) => p.stop()));
  if (primaries.length < count) {
    await stopAll();
    throw (started.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const ranges = primaries.map((_, i) => [Math.floor((i * SLOTS) / count), Math.floor(((i + 1) * SLOTS) / count) - 1] as const);
  const admin = primaries.map((p) => new Redis({ port: p.port, host: '127.0.0.1', maxRetriesPerRequest: 0 }));
  try {
    await Promise.all(admin.map((client, i) => client.call('CLUSTER', 'ADDSLOTSRANGE', String(ranges[i]![0]), String(ranges[i]![1]))));
    for (const [i, primary] of primaries.entries()) if (i > 0) await admin[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(primary.port), String(busPorts[i]));
    await until(
      async () =>
        (await Promise.all(primaries.map((p) => clusterInfo(p.port)))).every(
          (info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}`),
        ),
      { what: 'the cluster to be ok on every node', ms: 20_000, everyMs: 50 },
    );
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    for (const client of admin) client.disconnect();
  }
  return {
    url: `redis+cluster://${primaries.map((p) => `127.0.0.1:${p.port}`).join(',')}`,
    primaries,
    primaryOfSlot: (slot) => primaries[ranges.findIndex(([from, to]) => slot >= from && slot <= to)]!,
    async stop() {
      await stopAll();
    },
  };
}

/** A sentinel process. */
interface SentinelProcess {
  port: number;
  stop(): Promise<void>;
}

async function startSentinel(primaryPort: number, name: string, timing: { downAfterMs: number; failoverTimeoutMs: number }): Promise<SentinelProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sanh-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${name} ${timing.downAfterMs}`,
      `sentinel failover-timeout ${name} ${timing.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server --sentinel exited with ${child.exitCode}`);
      return canConnect(port);
    },
    { what: `a sentinel on port ${port}`, ms: 10_000, everyMs: 25 },
  );
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A primary, its replicas and the sentinels that watch them, on loopback. */
export interface SentinelServers {
  /** `redis+sentinel://127.0.0.1:<s1>,…/<name>`: what `REDIS_URL` takes. */
  url: string;
  name: string;
  /** The data nodes, the first started as primary. */
  nodes: readonly RedisServer[];
  sentinelPorts: readonly number[];
  /** The port the sentinels name as primary now. */
  primaryPort(): Promise<number>;
  /** The data node the sentinels name as primary now. */
  primaryNode(): Promise<RedisServer>;
  /** Replicas the primary sees connected (`INFO replication`), asked of the node on `port`. */
  connectedReplicas(port: number): Promise<number>;
  stop(): Promise<void>;
}

async function ask<T>(port: number, command: string, ...args: string[]): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.call(command, ...args)) as T;
  } finally {
    client.disconnect();
  }
}

/**
 * Starts Redis with Sentinel: one primary, `replicas` (default 1) replicas and `sentinels`
 * (default 3, quorum 2) `redis-server --sentinel` processes. Ready once every sentinel knows the
 * replicas and the other sentinels, so a failover can happen. Timing defaults suit tests: the
 * primary is judged down after 1 s without an answer.
 */
export async function startRedisSentinel(
  options: { replicas?: number; sentinels?: number; downAfterMs?: number; failoverTimeoutMs?: number; name?: string; dataArgs?: string[] } = {},
): Promise<SentinelServers> {
  const name = options.name ?? 'sanh';
  const timing = { downAfterMs: options.downAfterMs ?? 1_000, failoverTimeoutMs: options.failoverTimeoutMs ?? 5_000 };
  const dataArgs = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', ...(options.dataArgs ?? [])];
  const nodes: RedisServer[] = [];
  const sentinels: SentinelProcess[] = [];
  const stop = async () => {
    await Promise.all(sentinels.map((s) => s.stop()));
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    const primary = await startRedisServer(dataArgs);
    nodes.push(primary);
    for (let i = 0; i < (options.replicas ?? 1); i++) nodes.push(await startRedisServer([...dataArgs, '--replicaof', '127.0.0.1', String(primary.port)]));
    const replicas = nodes.slice(1);
    for (let i = 0; i < (options.sentinels ?? 3); i++) sentinels.push(await startSentinel(primary.port, name, timing));
    const connectedReplicas = async (port: number) => Number(/connected_slaves:(\d+)/.exec(await ask<string>(port, 'INFO', 'replication'))?.[1] ?? 0);
    await until(async () => (await connectedReplicas(primary.port)) === replicas.length, {
      what: 'the replicas to be in sync with the primary',
      ms: 20_000,
      everyMs: 50,
    });
    await until(
      async () => {
        for (const sentinel of sentinels) {
          const fields = await ask<string[]>(sentinel.port, 'SENTINEL', 'MASTER', name);
          const field = (key: string) => Number(fields[fields.indexOf(key) + 1]);
          if (field('num-slaves') !== replicas.length || field('num-other-sentinels') !== sentinels.length - 1) return false;
        }
        return true;
      },
      { what: 'every sentinel to know the replicas and the other sentinels', ms: 30_000, everyMs: 100 },
    );
    async function primaryPort(): Promise<number> {
      for (const sentinel of sentinels) {
        try {
          const [, port] = await ask<[string, string]>(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
          return Number(port);
        } catch {
          // the next sentinel
        }
      }
      throw new Error('no sentinel answered');
    }
    return {
      url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${name}`,
      name,
      nodes,
      sentinelPorts: sentinels.map((s) => s.port),
      primaryPort,
      async primaryNode() {
        const port = await primaryPort();
        const node = nodes.find((n) => n.port === port);
        if (!node) throw new Error(`the sentinels name port ${port}, which is none of the data nodes`);
        return node;
      },
      connectedReplicas,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
