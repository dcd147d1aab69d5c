import { readFileSync } from 'node:fs';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A connection to Redis of any of the three topologies: one server, a Sentinel-watched primary, or a Cluster. */
export type RedisClient = Redis | Cluster;

/** A host and port of a sentinel or a cluster seed node. */
export interface RedisNode {
  host: string;
  port: number;
}

/** What every topology shares: credentials of the data nodes, TLS, the database. */
interface RedisAuth {
  username?: string;
  password?: string;
  /** TLS to the data nodes (and the sentinels); `ca` is the PEM of `REDIS_TLS_CA_FILE`. */
  tls?: { ca?: string };
}

/** Where Sảnh's Redis is, parsed once from the environment (`parseRedisTarget`). */
export type RedisTarget =
  | ({ kind: 'standalone'; host: string; port: number; db: number } & RedisAuth)
  | ({ kind: 'sentinel'; sentinels: readonly RedisNode[]; name: string; db: number; sentinelPassword?: string } & RedisAuth)
  | ({ kind: 'cluster'; nodes: readonly RedisNode[] } & RedisAuth);

/** The environment variables that say where Redis is. */
export interface RedisEnvironment {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
  REDIS_TLS_CA_FILE?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}

/** A Redis address in the environment that cannot be used; the message names the variable. */
export class RedisTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisTargetError';
  }
}

const FORMS =
  'redis://[user:password@]host:port[/db], rediss://… (TLS), redis+sentinel://[user:password@]sentinel1:26379,sentinel2:26379/<primary name>[/db] or redis+cluster://[user:password@]node1:6379,node2:6379 (rediss+sentinel:// and rediss+cluster:// for TLS)';

function decode(part: string | undefined): string | undefined {
  if (part === undefined || part === '') return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    throw new RedisTargetError(`REDIS_URL has a badly escaped user name or password (${FORMS})`);
  }
}

function parsePort(text: string, variable: string, entry: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65_535) throw new RedisTargetError(`${variable}: "${entry}" has no valid port (1-65535)`);
  return port;
}

/** `host:port,host:port` (IPv6 hosts in brackets) as nodes; `defaultPort` when a port is left out. */
function parseNodes(list: string, variable: string, defaultPort: number): RedisNode[] {
  const entries = list.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.some((entry) => entry === ''))
    throw new RedisTargetError(`${variable}: give one or more host:port, separated by commas (got "${list}")`);
  return entries.map((entry) => {
    const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(.*))?$/.exec(entry);
    if (!match) throw new RedisTargetError(`${variable}: "${entry}" is not host:port`);
    const host = match[1]!.replace(/^\[|\]$/g, '');
    return { host, port: match[2] === undefined ? defaultPort : parsePort(match[2], variable, entry) };
  });
}

function parseDb(text: string | undefined, variable: string): number {
  if (text === undefined || text === '') return 0;
  const db = Number(text);
  if (!/^\d+$/.test(text) || db > 15) throw new RedisTargetError(`${variable}: the database must be a number from 0 to 15, got "${text}"`);
  return db;
}

function readCa(file: string | undefined, readFile: (path: string) => string): string | undefined {
  if (!file) return undefined;
  try {
    return readFile(file);
  } catch (error) {
    throw new RedisTargetError(`REDIS_TLS_CA_FILE: cannot read "${file}" (${error instanceof Error ? error.message : String(error)})`);
  }
}

const SCHEME = /^(redis|rediss)(?:\+(sentinel|cluster))?:\/\/(.*)$/;
const HOSTS_AND_PATH = /^([^/?#]*)(?:\/([^?#]*))?$/;

/**
 * Reads where Redis is from the environment (undefined: none, the embedded in-memory store).
 * `REDIS_URL` takes the four forms of `FORMS`; `REDIS_CLUSTER_NODES` (`host:port,…`) is the same
 * as a `redis+cluster://` URL; `REDIS_TLS_CA_FILE` is the CA of a `rediss` form;
 * `REDIS_SENTINEL_PASSWORD` authenticates to the sentinels. Every mistake throws a
 * `RedisTargetError` naming the variable.
 */
export function parseRedisTarget(env: RedisEnvironment, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): RedisTarget | undefined {
  const url = env.REDIS_URL?.trim() || undefined;
  const clusterNodes = env.REDIS_CLUSTER_NODES?.trim() || undefined;
  if (url && clusterNodes)
    throw new RedisTargetError('REDIS_URL and REDIS_CLUSTER_NODES are both set: set one (a redis+cluster:// URL is the same as REDIS_CLUSTER_NODES)');
  if (env.REDIS_SENTINEL_PASSWORD && !/^rediss?\+sentinel:/.test(url ?? ''))
    throw new RedisTargetError('REDIS_SENTINEL_PASSWORD is set but REDIS_URL is not a redis+sentinel:// URL: it is used only to authenticate to sentinels');
  if (env.REDIS_TLS_CA_FILE && !url?.startsWith('rediss'))
    throw new RedisTargetError('REDIS_TLS_CA_FILE is set but REDIS_URL does not start with rediss: the CA is used only for TLS connections');
  if (clusterNodes) return { kind: 'cluster', nodes: parseNodes(clusterNodes, 'REDIS_CLUSTER_NODES', 6379) };
  if (!url) return undefined;
  const match = SCHEME.exec(url);
  if (!match) throw new RedisTargetError(`REDIS_URL must be one of ${FORMS}`);
  const [, scheme, topology, rest = ''] = match;
  // The user information ends at the last '@' (a password may hold an unescaped '@' or '/').
  const at = rest.lastIndexOf('@');
  const userInfo = at < 0 ? undefined : rest.slice(0, at);
  const located = HOSTS_AND_PATH.exec(rest.slice(at + 1));
  if (!located) throw new RedisTargetError(`REDIS_URL must be one of ${FORMS} (no query or fragment)`);
  const [, hosts = '', path] = located;
  if (hosts === '') throw new RedisTargetError(`REDIS_URL names no host (${FORMS})`);
  const colon = userInfo?.indexOf(':') ?? -1;
  const [user, password] = userInfo === undefined ? [] : colon < 0 ? [userInfo] : [userInfo.slice(0, colon), userInfo.slice(colon + 1)];
  const username = decode(user);
  const secret = decode(password);
  const ca = readCa(env.REDIS_TLS_CA_FILE, readFile);
  const auth: RedisAuth = {
    ...(username ? { username } : {}),
    ...(secret ? { password: secret } : {}),
    ...(scheme === 'rediss' ? { tls: ca ? { ca } : {} } : {}),
  };
  if (topology === 'sentinel') {
    const [name, db, ...rest] = (path ?? '').split('/');
    if (!name)
      throw new RedisTargetError(
        'REDIS_URL: a redis+sentinel:// URL ends with the name the sentinels know the primary by, e.g. redis+sentinel://s1:26379,s2:26379/mymaster',
      );
    if (rest.length > 0) throw new RedisTargetError(`REDIS_URL: after the primary's name only a database number may follow, got "/${path}"`);
    const sentinelPassword = env.REDIS_SENTINEL_PASSWORD || undefined;
    return {
      kind: 'sentinel',
      sentinels: parseNodes(hosts, 'REDIS_URL', 26379),
      name: decode(name) ?? name,
      db: parseDb(db, 'REDIS_URL'),
      ...(sentinelPassword ? { sentinelPassword } : {}),
      ...auth,
    };
  }
  if (topology === 'cluster') {
    if (path) throw new RedisTargetError('REDIS_URL: a redis+cluster:// URL has no database (a Cluster has only database 0)');
    return { kind: 'cluster', nodes: parseNodes(hosts, 'REDIS_URL', 6379), ...auth };
  }
  const nodes = parseNodes(hosts, 'REDIS_URL', 6379);
  if (nodes.length > 1) throw new RedisTargetError('REDIS_URL names several hosts: use redis+sentinel:// for sentinels or redis+cluster:// for Cluster nodes');
  return { kind: 'standalone', ...nodes[0]!, db: parseDb(path, 'REDIS_URL'), ...auth };
}

/** What a target is, for logs: topology and hosts, never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: readonly RedisNode[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (target.kind === 'standalone') return `standalone ${target.host}:${target.port}`;
  if (target.kind === 'sentinel') return `sentinel ${list(target.sentinels)} primary "${target.name}"`;
  return `cluster ${list(target.nodes)}`;
}

/** Options every Sảnh Redis connection uses. */
export interface RedisConnectionOptions {
  /** Name shown in `CLIENT LIST`. */
  connectionName?: string;
  /** How long a command may wait for its answer (ms, default 2,000). */
  commandTimeoutMs?: number;
  /**
   * false: commands unanswered when the connection dropped are failed, not sent again on the next
   * connection (which may be to another primary). Default true (ioredis's own default).
   */
  resendAfterReconnect?: boolean;
}

/** Reconnection back-off: capped at 2 s. */
const backOff = (attempt: number) => Math.min(100 * 2 ** attempt, 2_000);

/**
 * Opens a Redis connection for Sảnh: commands fail at once while disconnected (no offline queue,
 * so a request never hangs on a dead Redis), reconnects with capped back-off. A Sentinel target
 * asks the sentinels for the primary at every (re)connection and watches them for a failover; a
 * Cluster target follows `MOVED` and `ASK` redirections and refreshes its slot map. A string is a
 * `REDIS_URL` (tests, tools).
 */
export function connectRedis(target: RedisTarget | string, options: RedisConnectionOptions = {}): RedisClient {
  const resolved = typeof target === 'string' ? parseRedisTarget({ REDIS_URL: target }) : target;
  if (!resolved) throw new RedisTargetError('REDIS_URL is empty');
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    autoResendUnfulfilledCommands: options.resendAfterReconnect ?? true,
    connectionName: options.connectionName ?? 'sanh',
    ...(resolved.username ? { username: resolved.username } : {}),
    ...(resolved.password ? { password: resolved.password } : {}),
    ...(resolved.tls ? { tls: resolved.tls.ca ? { ca: resolved.tls.ca } : {} } : {}),
  };
  if (resolved.kind === 'standalone') return new Redis({ ...common, host: resolved.host, port: resolved.port, db: resolved.db, retryStrategy: backOff });
  if (resolved.kind === 'sentinel') {
    return new Redis({
      ...common,
      sentinels: resolved.sentinels.map((n) => ({ ...n })),
      name: resolved.name,
      db: resolved.db,
      role: 'master',
      failoverDetector: true,
      // A sentinel that accepts and never answers must not hold the connection: the next is asked.
      sentinelCommandTimeout: 1_000,
      sentinelRetryStrategy: backOff,
      retryStrategy: backOff,
      ...(resolved.sentinelPassword ? { sentinelPassword: resolved.sentinelPassword } : {}),
      ...(resolved.tls ? { enableTLSForSentinelMode: true, sentinelTLS: common.tls ?? {} } : {}),
    });
  }
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: false,
    scaleReads: 'master',
    clusterRetryStrategy: backOff,
    slotsRefreshTimeout: 2_000,
    redisOptions: common,
    ...(resolved.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  };
  return new Cluster(
    resolved.nodes.map((n) => ({ ...n })),
    clusterOptions,
  );
}

/**
 * Resolves when every primary answers `PING` (on a Cluster each shard's, not one at random);
 * rejects otherwise. What a store's health check asks.
 */
export async function pingPrimaries(client: RedisClient): Promise<void> {
  if (client instanceof Cluster) {
    const primaries = client.nodes('master');
    if (primaries.length === 0) throw new Error('the Redis Cluster has no reachable primary');
    await Promise.all(primaries.map((node) => node.ping()));
    return;
  }
  await client.ping();
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export function whenReady(client: RedisClient, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}
