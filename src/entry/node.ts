/**
 * The Node entry: the only place that reads `process.env`.
 *   PORT (8080), HOST (0.0.0.0), ORIGIN_URL (unset: the bundled demo portal), REDIS_URL (unset:
 *   in-memory store), SANH_CONFIG (JSON config path), SANH_SECRETS (key ring), ADMIN_PORT (9090),
 *   ADMIN_HOST (127.0.0.1), SANH_ADMIN_TOKEN (unset: no admin listener),
 *   OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (unset: no traces exported;
 *   see `telemetry.ts`).
 */
import { loadConfigFile } from '../config/file.js';
import { ConfigError } from '../config/load.js';
import { startDemoPortal } from '../demo-portal/server.js';
import { generateKeyRing, KeyRingError, parseKeyRing, type KeyRing } from '../platform/keyring.js';
import { jsonLogger, urlForLog } from '../platform/logger.js';
import { AdminTokenError, parseAdminTokens } from '../admin/tokens.js';
import { startNodeSanh } from './node-server.js';
import { startTelemetry } from './telemetry.js';

const logger = jsonLogger({ service: 'sanh' });

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function parsePort(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`${name} must be a port number (0-65535), got "${value}"`);
  return port;
}

function keyRingFromEnv(value: string | undefined): KeyRing {
  if (value) return parseKeyRing(value);
  console.error(
    [
      '',
      '  ┌───────────────────────────────────────────────────────────────────────┐',
      '  │ WARNING: SANH_SECRETS is not set. A random signing key was generated. │',
      '  │ Passes and tickets die with this process and differ per instance.     │',
      '  │ Set SANH_SECRETS="id:<32+ random characters>" in production.          │',
      '  └───────────────────────────────────────────────────────────────────────┘',
      '',
    ].join('\n'),
  );
  return generateKeyRing();
}

async function main(): Promise<void> {
  const telemetry = await startTelemetry(process.env, logger);
  const port = parsePort('PORT', process.env.PORT, 8080);
  const config = await loadConfigFile(process.env.SANH_CONFIG || undefined);
  const keyRing = keyRingFromEnv(process.env.SANH_SECRETS);
  const redisUrl = process.env.REDIS_URL || undefined;
  let originUrl = process.env.ORIGIN_URL || undefined;
  let demo: Awaited<ReturnType<typeof startDemoPortal>> | undefined;
  if (!originUrl) {
    demo = await startDemoPortal({ port: 0, hostname: '127.0.0.1' });
    originUrl = demo.url;
    logger.info('no ORIGIN_URL: started the bundled demo portal', { origin: originUrl });
  }
  if (!redisUrl) logger.warn('no REDIS_URL: using the in-memory store (one instance only; the line is lost on restart)');

  const adminToken = process.env.SANH_ADMIN_TOKEN || undefined;
  const admin = adminToken
    ? { port: parsePort('ADMIN_PORT', process.env.ADMIN_PORT, 9090), hostname: process.env.ADMIN_HOST || '127.0.0.1', tokens: parseAdminTokens(adminToken) }
    : undefined;
  if (admin && admin.port !== 0 && admin.port === port) fail(`ADMIN_PORT (${admin.port}) must not be the public PORT: the admin API is never served on the public listener`);
  if (!admin) logger.warn('SANH_ADMIN_TOKEN is not set: no admin listener (API, /metrics)');
  const sanh = await startNodeSanh({ config, keyRing, originUrl, redisUrl, port, hostname: process.env.HOST || '0.0.0.0', logger, ...(admin ? { admin } : {}) });
  if (sanh.adminUrl) logger.info('admin listener is ready', { url: sanh.adminUrl });
  logger.info('Sảnh is ready', { url: sanh.url, origin: urlForLog(originUrl), store: redisUrl ? 'redis' : 'memory', rooms: config.rooms.length });
  console.log(`\n  Sảnh is listening: open ${sanh.url}/ in a browser.\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    await sanh.close();
    await demo?.close();
    await telemetry?.shutdown().catch((error: Error) => logger.warn('the last traces could not be exported', { error: error.message }));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof KeyRingError || error instanceof AdminTokenError) fail(error.message);
  fail(`Sảnh could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
});
