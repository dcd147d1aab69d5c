/**
 * A Sảnh instance in a child process of its own, for tests that kill it (SIGKILL) mid-work, stop
 * it with SIGTERM (it drains like the Node entry: `exitOnSignals`), or restart it.
 * Reads its options as JSON from argv[2]: { config, secrets, originUrl, redisUrl, consumer, drainSeconds }.
 * Prints `ready <url>` on stdout once it listens.
 */
import { parseConfig } from '../../src/config/load.js';
import { exitOnSignals } from '../../src/entry/drain.js';
import { startNodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';

const options = JSON.parse(process.argv[2] ?? '{}') as {
  config: unknown;
  secrets: string;
  originUrl: string;
  redisUrl?: string;
  consumer?: string;
  drainSeconds?: number;
};
const drainSeconds = options.drainSeconds ?? 25;
const sanh = await startNodeSanh({
  config: parseConfig(options.config),
  keyRing: parseKeyRing(options.secrets),
  originUrl: options.originUrl,
  ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
  ...(options.consumer ? { consumer: options.consumer } : {}),
  port: 0,
  hostname: '127.0.0.1',
  logger: silentLogger,
  drainSeconds,
});
exitOnSignals({ close: () => sanh.close(), drainSeconds, logger: silentLogger });
process.stdout.write(`ready ${sanh.url}\n`);
