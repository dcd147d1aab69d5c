/**
 * The Node entry: the only place that reads `process.env`.
 *   PORT (8080), HOST (0.0.0.0), ORIGIN_URL (unset: the bundled demo portal), REDIS_URL (unset:
 *   in-memory store; standalone, Sentinel or Cluster, see `parseRedisTarget`), REDIS_CLUSTER_NODES,
 *   REDIS_TLS_CA_FILE, REDIS_SENTINEL_PASSWORD, SANH_CONFIG (JSON config path), SANH_SECRETS (key ring), ADMIN_PORT (9090),
 *   ADMIN_HOST (127.0.0.1), SANH_ADMIN_TOKEN (unset: no admin listener),
 *   SANH_DRAIN_SECONDS (25: how long a shutdown lets requests in flight finish),
 *   LOG_LEVEL (debug | info | warn | error; info), NODE_ENV (`production`: ORIGIN_URL and
 *   SANH_SECRETS are required, no human banners),
 *   OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (unset: no traces exported;
 *   see `telemetry.ts`).
 *
 * Every line on stdout is a JSON log line. In development, the human banners (the generated key
 * warning, the URL to open) go to stderr, beside a JSON warn line; in production there are none.
 * SIGTERM or SIGINT drains (`NodeSanh.close`) and exits 0; a second signal exits at once with
 * 128 + the signal's number (143 for SIGTERM, 130 for SIGINT).
 */
import { draftsForMode } from '../config/drafts.js';
import { loadConfigFile } from '../config/file.js';
import { ConfigError } from '../config/load.js';
import { startDemoPortal } from '../demo-portal/server.js';
import { generateKeyRing, KeyRingError, parseKeyRing, type KeyRing } from '../platform/keyring.js';
import { jsonLogger, LOG_LEVELS, parseLogLevel, urlForLog, type LogLevel } from '../platform/logger.js';
import { AdminTokenError, parseAdminTokens } from '../admin/tokens.js';
import { exitOnSignals, settleWithin } from './drain.js';
import { describeRedisTarget, parseRedisTarget, RedisTargetError } from '../redis/connection.js';
import { startNodeSanh } from './node-server.js';
import { startTelemetry } from './telemetry.js';

/** The longest the last traces' export may hold the exit (ms). */
const TELEMETRY_SHUTDOWN_MS = 2_000;

const production = process.env.NODE_ENV === 'production';
const logLevel: LogLevel | undefined = process.env.LOG_LEVEL ? parseLogLevel(process.env.LOG_LEVEL) : 'info';
const logger = jsonLogger({ service: 'sanh' }, { level: logLevel ?? 'info' });

/** Refuses to start: one JSON error line on stderr, exit code 1. */
function fail(message: string, fields: Record<string, string> = {}): never {
  logger.error(message, fields);
  process.exit(1);
}

/** How long a shutdown drains (seconds): `SANH_DRAIN_SECONDS`, default 25. */
function parseDrainSeconds(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 25;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3_600) fail(`SANH_DRAIN_SECONDS must be a number of seconds from 0 to 3600, got "${value}"`);
  return seconds;
}

function parsePort(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`${name} must be a port number (0-65535), got "${value}"`);
  return port;
}

function keyRingFromEnv(value: string | undefined): KeyRing {
  if (value) return parseKeyRing(value);
  logger.warn('SANH_SECRETS is not set: a random signing key was generated (passes and tickets die with this process and differ per instance)');
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
  if (logLevel === undefined) fail(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${process.env.LOG_LEVEL}"`);
  const drainSeconds = parseDrainSeconds(process.env.SANH_DRAIN_SECONDS);
  if (production) {
    const missing = ['ORIGIN_URL', 'SANH_SECRETS'].filter((name) => !process.env[name]);
    if (missing.length > 0)
      fail(`NODE_ENV is production: set ${missing.join(' and ')} (Sảnh does not start without ${missing.length > 1 ? 'them' : 'it'})`, {
        missing: missing.join(','),
      });
  }
  const telemetry = await startTelemetry(process.env, logger);
  const port = parsePort('PORT', process.env.PORT, 8080);
  const loaded = await loadConfigFile(process.env.SANH_CONFIG || undefined);
  const config = { ...loaded, drafts: draftsForMode(loaded.drafts, production) };
  const keyRing = keyRingFromEnv(process.env.SANH_SECRETS);
  const redis = parseRedisTarget(process.env);
  let originUrl = process.env.ORIGIN_URL || undefined;
  let demo: Awaited<ReturnType<typeof startDemoPortal>> | undefined;
  if (!originUrl) {
    demo = await startDemoPortal({ port: 0, hostname: '127.0.0.1' });
    originUrl = demo.url;
    logger.info('no ORIGIN_URL: started the bundled demo portal', { origin: originUrl });
  }
  if (!redis && production) {
    logger.warn(
      'PRODUCTION ON THE IN-MEMORY STORE: no REDIS_URL, so this instance keeps the line, drafts and deferred submissions in its own memory: one instance only, and everything is lost when it stops. Set REDIS_URL.',
      { store: 'memory' },
    );
  } else if (!redis) {
    logger.warn('no REDIS_URL: using the in-memory store (one instance only; the line is lost on restart)', { store: 'memory' });
  }

  const adminToken = process.env.SANH_ADMIN_TOKEN || undefined;
  const admin = adminToken
    ? { port: parsePort('ADMIN_PORT', process.env.ADMIN_PORT, 9090), hostname: process.env.ADMIN_HOST || '127.0.0.1', tokens: parseAdminTokens(adminToken) }
    : undefined;
  if (admin && admin.port !== 0 && admin.port === port)
    fail(`ADMIN_PORT (${admin.port}) must not be the public PORT: the admin API is never served on the public listener`);
  if (!admin) logger.warn('SANH_ADMIN_TOKEN is not set: no admin listener (API, /metrics)');
  const sanh = await startNodeSanh({
    config,
    keyRing,
    originUrl,
    ...(redis ? { redis } : {}),
    port,
    hostname: process.env.HOST || '0.0.0.0',
    logger,
    drainSeconds,
    ...(admin ? { admin } : {}),
  });
  if (sanh.adminUrl) logger.info('admin listener is ready', { url: sanh.adminUrl });
  logger.info('Sảnh is ready', {
    url: sanh.url,
    origin: urlForLog(originUrl),
    store: redis ? 'redis' : 'memory',
    ...(redis ? { redis: describeRedisTarget(redis) } : {}),
    rooms: config.rooms.length,
    mode: production ? 'production' : 'development',
  });
  if (!production) console.error(`\n  Sảnh is listening: open ${sanh.url}/ in a browser.\n`);

  exitOnSignals({
    close: () => sanh.close(),
    drainSeconds,
    logger,
    after: async () => {
      await demo?.close();
      await settleWithin(
        (telemetry?.shutdown() ?? Promise.resolve()).catch((error: Error) => logger.warn('the last traces could not be exported', { error: error.message })),
        TELEMETRY_SHUTDOWN_MS,
      );
    },
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof KeyRingError || error instanceof AdminTokenError || error instanceof RedisTargetError)
    fail(error.message);
  fail(`Sảnh could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
});
