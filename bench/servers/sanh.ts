/** Sảnh for benchmarks: the real Node server with the config and store the scenario asks for. */
import { parseConfig } from '../../src/config/load.js';
import { startNodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';

const sanh = await startNodeSanh({
  config: parseConfig(JSON.parse(process.env.SANH_CONFIG_JSON ?? '{}')),
  keyRing: parseKeyRing(process.env.SANH_SECRETS ?? `bench:${'b'.repeat(40)}`),
  originUrl: process.env.ORIGIN_URL ?? 'http://127.0.0.1:9',
  redisUrl: process.env.REDIS_URL || undefined,
  port: Number(process.env.PORT),
  hostname: '127.0.0.1',
  logger: silentLogger,
});
console.log(`listening ${sanh.port}`);
process.on('SIGTERM', () => process.exit(0));
