import { parseAdminTokens } from '../../src/admin/tokens.js';
import type { SanhConfig } from '../../src/config/schema.js';
import { startNodeSanh, type NodeSanh, type NodeSanhOptions } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { testRedisUrl } from './redis.js';

/**
 * Sảnh on Node on loopback with its admin listener, as the admin tests start it: the test Redis
 * (unless `redis: false`), one key ring for every instance (so instances share passes), the
 * `SANH_ADMIN_TOKEN` value `tokens`.
 */
export function startAdminSanh(options: {
  config: SanhConfig;
  originUrl: string;
  tokens: string;
  /** false: the in-memory store; a string: that REDIS_URL; unset: the test Redis. */
  redis?: boolean | string;
  adminPort?: number;
  dashboard?: NonNullable<NodeSanhOptions['admin']>['dashboard'];
}): Promise<NodeSanh> {
  return startNodeSanh({
    config: options.config,
    keyRing: parseKeyRing(`k:${'s'.repeat(40)}`),
    originUrl: options.originUrl,
    ...(options.redis === false ? {} : { redisUrl: typeof options.redis === 'string' ? options.redis : testRedisUrl() }),
    port: 0,
    hostname: '127.0.0.1',
    logger: silentLogger,
    admin: {
      port: options.adminPort ?? 0,
      hostname: '127.0.0.1',
      tokens: parseAdminTokens(options.tokens),
      ...(options.dashboard ? { dashboard: options.dashboard } : {}),
    },
  });
}
