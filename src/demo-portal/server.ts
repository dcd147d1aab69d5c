import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { createDemoPortal, type DemoPortal, type DemoPortalOptions } from './app.js';

/** A running demo portal. */
export interface RunningDemoPortal {
  /** Base URL, e.g. `http://127.0.0.1:8081` (no trailing slash). */
  url: string;
  port: number;
  portal: DemoPortal;
  /** Stops listening and drops keep-alive connections. */
  close(): Promise<void>;
}

/** Starts the demo portal over HTTP (port 0: any free port; hostname default 127.0.0.1); resolves once listening. */
export async function startDemoPortal(options: DemoPortalOptions & { port?: number; hostname?: string } = {}): Promise<RunningDemoPortal> {
  const portal = createDemoPortal(options);
  const hostname = options.hostname ?? '127.0.0.1';
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: portal.app.fetch, port: options.port ?? 0, hostname }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${port}`,
    port,
    portal,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections?.();
      }),
  };
}

function wholeFromEnv(name: string, fallback: number | undefined): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
  return n;
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runDirectly) {
  const running = await startDemoPortal({
    port: wholeFromEnv('DEMO_PORTAL_PORT', 8081),
    capacity: wholeFromEnv('DEMO_PORTAL_CAPACITY', undefined),
    serviceMs: wholeFromEnv('DEMO_PORTAL_SERVICE_MS', undefined),
  });
  console.log(`Demo portal listening on ${running.url}/`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
