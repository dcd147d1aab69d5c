/**
 * OpenTelemetry for the Node entry (the only place `@opentelemetry/sdk-node` is used): traces,
 * exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 * is set. Everything else comes from the SDK's own `OTEL_*` variables (protocol, headers,
 * sampler, batching). No auto-instrumentation, no OTel metrics (Prometheus has them on the admin
 * listener) and no OTel logs: the spans are Sảnh's own (`telemetry/tracing.ts`).
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { throttled, urlForLog, type Logger } from '../platform/logger.js';

/** The running SDK. */
export interface Telemetry {
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The service name: `OTEL_SERVICE_NAME`, else one named in `OTEL_RESOURCE_ATTRIBUTES`, else `sanh`. */
function serviceName(env: Env): string | undefined {
  if (env.OTEL_SERVICE_NAME) return env.OTEL_SERVICE_NAME;
  return /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '') ? undefined : 'sanh';
}

/** The SDK's own complaints (an export that failed) as Sảnh's JSON log lines, at most one a minute each. */
function diagnostics(logger: Logger): DiagLogger {
  const log = throttled(logger, 60_000);
  const line = (level: 'warn' | 'error') => (message: string) => log[level](`OpenTelemetry: ${message}`);
  return { error: line('error'), warn: line('warn'), info: () => undefined, debug: () => undefined, verbose: () => undefined };
}

/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is set (and `OTEL_SDK_DISABLED` is not
 * `true`); undefined otherwise, and then tracing stays a no-op. The SDK is loaded only then.
 */
export async function startTelemetry(env: Env, logger: Logger): Promise<Telemetry | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return undefined;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  if (!env.OTEL_LOG_LEVEL) diag.setLogger(diagnostics(logger), DiagLogLevel.WARN);
  const name = serviceName(env);
  const sdk = new NodeSDK({ ...(name ? { serviceName: name } : {}), instrumentations: [], metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  logger.info('OpenTelemetry traces are exported over OTLP', {
    endpoint: urlForLog(endpoint),
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf',
  });
  return { shutdown: () => sdk.shutdown() };
}
