import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { createDemoPortal, type DemoPortal, type DemoPortalOptions } from './app.js';

/** A running demo portal. */
export interface RunningDemoPortal {
  url: string;
  port: number;
  portal: DemoPortal;
  close(): Promise<void>;
}

/** Starts the demo portal over HTTP (port 0: any free port). */
export async function startDemoPortal(options: DemoPortalOptions & { port?: number; hostname?: string } = {}): Promise<RunningDemoPortal> {
  const portal = createDemoPortal(options);
  const hostname = options.hostname ?? '127.0.0.1';
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: portal.app.fetch, port: options.port ?? 0, hostname }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${hostname}:${port}`,
    port,
    portal,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runDirectly) {
  const number = (value: string | undefined) => (value ? Number(value) : undefined);
  const running = await startDemoPortal({
    port: number(process.env.DEMO_PORTAL_PORT) ?? 8081,
    capacity: number(process.env.DEMO_PORTAL_CAPACITY),
    serviceMs: number(process.env.DEMO_PORTAL_SERVICE_MS),
  });
  console.log(`demo portal listening on ${running.url}`);
}
