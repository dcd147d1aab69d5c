import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startNodeSanh, type NodeSanhOptions } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { connectRedis, whenReady, type RedisClient } from '../../src/redis/connection.js';
import { canConnect, freePort, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/until.js';

const KEYS = parseKeyRing(`k1:${'f'.repeat(40)}`);

/**
 * A start that fails at any step closes what it had opened and throws: no Redis connection, no
 * listener, no timer or socket that keeps the process alive is left behind (issue 18).
 */
describe('a failed start closes what it opened', () => {
  let redis: RedisServer;
  let watcher: RedisClient;
  /** A port this test holds, so Sảnh cannot bind it. */
  let taken: Server;
  let takenPort: number;
  let origin: Server;
  let originUrl: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    watcher = connectRedis(redis.url, { connectionName: 'start-failure-watcher' });
    await whenReady(watcher);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as AddressInfo).port;
    origin = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await watcher?.quit();
    await new Promise((resolve) => taken?.close(resolve));
    await new Promise((resolve) => origin?.close(resolve));
    await redis?.stop();
  });

  /** The names of Sảnh's connections to the test's Redis (`sanh`, `sanh-submissions`). */
  async function sanhConnections(): Promise<string[]> {
    const list = String(await watcher.call('CLIENT', 'LIST'));
    return list
      .split('\n')
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
      .filter((name) => name.startsWith('sanh'));
  }

  /** What keeps the process alive, by kind, with how many of each (the test's own included, so compared before and after). */
  function activeResources(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  }

  /** What is active now beyond `before`, by kind (empty: nothing was left behind). */
  function leftSince(before: Record<string, number>): Record<string, number> {
    const left: Record<string, number> = {};
    for (const [kind, count] of Object.entries(activeResources())) if (count > (before[kind] ?? 0)) left[kind] = count - (before[kind] ?? 0);
    return left;
  }

  /** Waits (briefly) until nothing is left beyond `before`: closed sockets and servers leave the list on the next turns of the event loop. */
  async function nothingLeftSince(before: Record<string, number>): Promise<void> {
    await until(() => Object.keys(leftSince(before)).length === 0, { ms: 2_000, what: 'nothing left open' }).catch(() => undefined);
    expect(leftSince(before)).toEqual({});
  }

  function options(overrides: Partial<NodeSanhOptions> & { durability?: 'write' | 'fsync' } = {}): NodeSanhOptions {
    const { durability = 'write', ...rest } = overrides;
    return {
      config: parseConfig({
        rooms: [{ id: 'apply', match: ['/apply'], maxActive: 1, admitPerMinute: 1 }],
        drafts: { enabled: true },
        submissions: { durability },
      }),
      keyRing: KEYS,
      originUrl,
      hostname: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      ...rest,
    };
  }

  /** Starts Sảnh expecting the start to fail with `error`; then nothing of it may be left open. */
  async function failsAndLeavesNothing(start: NodeSanhOptions, error: RegExp, ports: number[] = []): Promise<void> {
    const before = activeResources();
    await expect(startNodeSanh(start)).rejects.toThrow(error);
    expect(await sanhConnections()).toEqual([]);
    for (const port of ports) expect(await canConnect(port)).toBe(false);
    await nothingLeftSince(before);
  }

  it('the measure sees what a running Sảnh holds, and a normal close lets all of it go', async () => {
    const before = activeResources();
    const sanh = await startNodeSanh(options({ redisUrl: redis.url, durability: 'fsync', admin: { port: 0, hostname: '127.0.0.1', tokens: [] } }));
    expect((await sanhConnections()).sort()).toEqual(['sanh', 'sanh-submissions']);
    expect(leftSince(before)).toMatchObject({ TCPServerWrap: 2 });
    await sanh.close();
    expect(await sanhConnections()).toEqual([]);
    expect(await canConnect(sanh.port)).toBe(false);
    await nothingLeftSince(before);
  });

  it('on the in-memory store, the public port already in use', async () => {
    await failsAndLeavesNothing(options({ port: takenPort }), /EADDRINUSE/);
  });

  it('on Redis, the public port already in use: both Redis connections are closed', async () => {
    await failsAndLeavesNothing(options({ redisUrl: redis.url, durability: 'fsync', port: takenPort }), /EADDRINUSE/);
  });

  it('on a Redis that is unreachable (its connection still retrying), the public port already in use', async () => {
    const nowhere = await freePort();
    await failsAndLeavesNothing(options({ redisUrl: `redis://127.0.0.1:${nowhere}`, port: takenPort }), /EADDRINUSE/);
  });

  it('on Redis, the admin port already in use: the public listener, the dashboard and the connections are closed', async () => {
    const publicPort = await freePort();
    await failsAndLeavesNothing(
      options({ redisUrl: redis.url, durability: 'fsync', port: publicPort, admin: { port: takenPort, hostname: '127.0.0.1', tokens: [] } }),
      /EADDRINUSE/,
      [publicPort],
    );
  });

  it('on Redis, the admin port the same as the public one', async () => {
    const publicPort = await freePort();
    await failsAndLeavesNothing(
      options({ redisUrl: redis.url, port: publicPort, admin: { port: publicPort, hostname: '127.0.0.1', tokens: [] } }),
      /must not be the public port/,
      [publicPort],
    );
  });

  it('on Redis, a bad origin URL (after the stores, the waiting room and the drafts have started)', async () => {
    await failsAndLeavesNothing(options({ redisUrl: redis.url, durability: 'fsync', originUrl: 'not a url' }), /Invalid URL/);
  });
});
