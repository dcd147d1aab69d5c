import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { connectRedis, describeRedisTarget, parseRedisTarget, RedisTargetError } from './connection.js';

const noFile = (path: string): string => {
  throw new Error(`ENOENT: no such file, open '${path}'`);
};

describe('parseRedisTarget', () => {
  it('is undefined without REDIS_URL or REDIS_CLUSTER_NODES (the in-memory store)', () => {
    expect(parseRedisTarget({})).toBeUndefined();
    expect(parseRedisTarget({ REDIS_URL: '  ' })).toBeUndefined();
  });

  it('reads a standalone URL with credentials, database and default port', () => {
    expect(parseRedisTarget({ REDIS_URL: 'redis://app:s%40cret@cache.internal:6380/2' })).toEqual({
      kind: 'standalone',
      host: 'cache.internal',
      port: 6380,
      db: 2,
      username: 'app',
      password: 's@cret',
    });
    expect(parseRedisTarget({ REDIS_URL: 'redis://:pw@10.0.0.5' })).toEqual({ kind: 'standalone', host: '10.0.0.5', port: 6379, db: 0, password: 'pw' });
    expect(parseRedisTarget({ REDIS_URL: 'redis://[::1]:7000' })).toEqual({ kind: 'standalone', host: '::1', port: 7000, db: 0 });
    expect(parseRedisTarget({ REDIS_URL: 'redis://:p@ss/w0rd@cache:6379/1' })).toEqual({
      kind: 'standalone',
      host: 'cache',
      port: 6379,
      db: 1,
      password: 'p@ss/w0rd',
    });
  });

  it('turns on TLS for rediss, with the CA file when given', () => {
    expect(parseRedisTarget({ REDIS_URL: 'rediss://cache:6380' })).toMatchObject({ kind: 'standalone', tls: {} });
    const read = (path: string) => (path === '/etc/ca.pem' ? 'PEM' : noFile(path));
    expect(parseRedisTarget({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: '/etc/ca.pem' }, read)).toMatchObject({ tls: { ca: 'PEM' } });
    expect(() => parseRedisTarget({ REDIS_URL: 'rediss://cache', REDIS_TLS_CA_FILE: '/nope.pem' }, noFile)).toThrow(
      /REDIS_TLS_CA_FILE: cannot read "\/nope.pem"/,
    );
    expect(() => parseRedisTarget({ REDIS_URL: 'redis://cache', REDIS_TLS_CA_FILE: '/etc/ca.pem' })).toThrow(
      /REDIS_TLS_CA_FILE is set but REDIS_URL does not start with rediss/,
    );
  });

  it("reads a Sentinel URL: the sentinels, the primary name, the database, the sentinels' password", () => {
    expect(parseRedisTarget({ REDIS_URL: 'redis+sentinel://:pw@s1:26379,s2,[::1]:26380/mymaster/3', REDIS_SENTINEL_PASSWORD: 'sp' })).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      db: 3,
      password: 'pw',
      sentinelPassword: 'sp',
    });
    expect(parseRedisTarget({ REDIS_URL: 'rediss+sentinel://s1/m' })).toMatchObject({ kind: 'sentinel', tls: {} });
  });

  it('reads a Cluster from a redis+cluster URL or REDIS_CLUSTER_NODES', () => {
    const nodes = [
      { host: 'n1', port: 7000 },
      { host: 'n2', port: 6379 },
    ];
    expect(parseRedisTarget({ REDIS_URL: 'redis+cluster://u:p@n1:7000,n2' })).toEqual({ kind: 'cluster', nodes, username: 'u', password: 'p' });
    expect(parseRedisTarget({ REDIS_CLUSTER_NODES: 'n1:7000, n2' })).toEqual({ kind: 'cluster', nodes });
  });

  it.each([
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }, /REDIS_URL must be one of redis:\/\//],
    ['REDIS_URL', { REDIS_URL: 'redis://' }, /REDIS_URL names no host/],
    ['REDIS_URL', { REDIS_URL: 'redis://cache:99999' }, /REDIS_URL: "cache:99999" has no valid port/],
    ['REDIS_URL', { REDIS_URL: 'redis://cache:6379/x' }, /the database must be a number from 0 to 15, got "x"/],
    ['REDIS_URL', { REDIS_URL: 'redis://a:1,b:2' }, /names several hosts: use redis\+sentinel:\/\/ .* or redis\+cluster:\/\//],
    ['REDIS_URL', { REDIS_URL: 'redis+sentinel://s1:26379' }, /ends with the name the sentinels know the primary by/],
    ['REDIS_URL', { REDIS_URL: 'redis+sentinel://s1:26379/m/1/2' }, /only a database number may follow/],
    ['REDIS_URL', { REDIS_URL: 'redis+cluster://n1/1' }, /a Cluster has only database 0/],
    ['REDIS_URL', { REDIS_URL: 'redis+cluster://n1,,n2' }, /give one or more host:port/],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'n1:abc' }, /REDIS_CLUSTER_NODES: "n1:abc" has no valid port/],
    ['both', { REDIS_URL: 'redis://a', REDIS_CLUSTER_NODES: 'n1' }, /REDIS_URL and REDIS_CLUSTER_NODES are both set/],
    ['REDIS_URL', { REDIS_URL: 'redis://cache:6379/0?tls=1' }, /no query or fragment/],
    [
      'REDIS_SENTINEL_PASSWORD',
      { REDIS_URL: 'redis://cache', REDIS_SENTINEL_PASSWORD: 'x' },
      /REDIS_SENTINEL_PASSWORD is set but REDIS_URL is not a redis\+sentinel/,
    ],
  ])('refuses a bad %s with an error naming it', (_name, env, message) => {
    expect(() => parseRedisTarget(env)).toThrow(RedisTargetError);
    expect(() => parseRedisTarget(env)).toThrow(message);
  });

  it('describes a target for logs without its password', () => {
    const target = parseRedisTarget({ REDIS_URL: 'redis+sentinel://:secret@s1,s2/m' })!;
    expect(describeRedisTarget(target)).toBe('sentinel s1:26379,s2:26379 primary "m"');
    expect(describeRedisTarget(parseRedisTarget({ REDIS_URL: 'redis://:secret@c:1' })!)).toBe('standalone c:1');
    expect(describeRedisTarget(parseRedisTarget({ REDIS_CLUSTER_NODES: 'n1:1,n2:2' })!)).toBe('cluster n1:1,n2:2');
  });
});

describe('connectRedis', () => {
  it('opens the client of each topology with the options Sảnh relies on', () => {
    const standalone = connectRedis('redis://127.0.0.1:1');
    const sentinel = connectRedis('redis+sentinel://127.0.0.1:1/m');
    const cluster = connectRedis('redis+cluster://127.0.0.1:1');
    for (const client of [standalone, sentinel, cluster]) client.on('error', () => undefined);
    try {
      expect(standalone).toBeInstanceOf(Redis);
      expect(standalone.options).toMatchObject({ host: '127.0.0.1', port: 1, enableOfflineQueue: false });
      expect(sentinel).toBeInstanceOf(Redis);
      expect((sentinel as Redis).options).toMatchObject({
        name: 'm',
        sentinels: [{ host: '127.0.0.1', port: 1 }],
        failoverDetector: true,
        sentinelCommandTimeout: 1_000,
      });
      expect(cluster).toBeInstanceOf(Cluster);
    } finally {
      for (const client of [standalone, sentinel, cluster]) client.disconnect();
    }
  });
});
