import { clientCall } from '../telemetry/tracing.js';
import type { OriginClient, OriginRequest } from './port.js';

/**
 * The origin client, traced: each request in a CLIENT span (a child of the visitor's request or
 * of a delivery), with the W3C trace context sent on to the origin. See `telemetry/tracing.ts`.
 */
export function tracedOrigin(origin: OriginClient, url: string): OriginClient {
  const base = new URL(url);
  const send = (request: OriginRequest) => origin.forward(request);
  return {
    forward: (request) => clientCall(base, request, send),
    close: () => origin.close(),
  };
}
