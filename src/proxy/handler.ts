import type { Handler } from 'hono';
import type { Readable } from 'node:stream';
import { SanhError } from '../platform/errors.js';
import type { SanhEnv } from '../platform/http.js';
import { clientKey } from '../waiting-room/bypass.js';
import type { ProxyLimits, Release } from './limits.js';
import type { OriginClient } from './port.js';

type ProxyContext = Parameters<Handler<SanhEnv>>[0];

/** How the runtime tells the proxy about the visitor's connection and raw body. */
export interface ConnectionInfo {
  /** The socket's peer address (the client, or the nearest proxy in front): the hop appended to `X-Forwarded-For`. */
  clientIp(c: ProxyContext): string | undefined;
  /** The client's address after `trustProxyHops` (per-address limits); default `clientIp`. */
  clientAddress?(c: ProxyContext): string | undefined;
  /** Proxies in front of Sảnh whose forwarding headers are trusted (`trustProxyHops`); default 0. */
  trustProxyHops?: number;
  /** The raw Node request stream when running on Node (faster than the web stream). */
  rawBody?(c: ProxyContext): Readable | undefined;
  /** Body deadline, per-address body cap and origin lanes (Node); absent: none. */
  limits?: ProxyLimits;
}

/** Seconds an unadmitted visitor is asked to wait when the origin's share for them is in use. */
const BUSY_RETRY_SECONDS = 2;

/** True when the request says a body follows (Node has already refused ambiguous framings). */
function announcesBody(c: ProxyContext): boolean {
  const method = c.req.method;
  if (method === 'GET' || method === 'HEAD') return false;
  const length = c.req.header('content-length');
  return length !== undefined ? length.trim() !== '0' : c.req.header('transfer-encoding') !== undefined;
}

/**
 * Refuses a transfer coding Sảnh does not decode: Node's parser takes `chunked` off and would
 * hand over the rest (`gzip, chunked`) still coded, with nothing left to say so to the origin.
 */
function refuseCodedBody(c: ProxyContext): void {
  const coding = c.req.header('transfer-encoding');
  if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') {
    throw new SanhError('bad_request', 'Only the chunked transfer coding is accepted.', { headers: { connection: 'close' } });
  }
}

/**
 * The proxy handler: forwards whatever reaches it to the origin. With `connection.limits` (Node):
 * requests nobody admitted (bypass, passthrough, no room: the gate says so with
 * `sanhLetThrough`, or names no room) use at most their share of the origin pool (else 503
 * `origin_busy`) and at most `maxBodiesPerClient` bodies arriving per client address (else 429
 * `rate_limited`); every streamed body has a deadline (else 408 `request_timeout`, the origin
 * request cut). Refusals with a body still coming close the connection.
 */
export function proxyHandler(origin: OriginClient, connection: ConnectionInfo): Handler<SanhEnv> {
  const limits = connection.limits;
  return async function proxy(c) {
    refuseCodedBody(c);
    const url = new URL(c.req.url);
    const extra = c.get('sanhOriginHeaders');
    let headers = c.req.raw.headers;
    if (extra) {
      headers = new Headers(headers);
      for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    }
    const kept = c.get('sanhBody');
    const raw = kept === undefined ? connection.rawBody?.(c) : undefined;
    let body = kept ?? raw ?? c.req.raw.body;
    const admitted = c.get('sanhRoom') !== undefined && c.get('sanhLetThrough') === undefined;
    let release: Release | undefined;
    let guard: ReturnType<ProxyLimits['guardBody']>;
    if (limits) {
      const streamed = raw && announcesBody(c) ? raw : undefined;
      const closing = streamed ? { connection: 'close' } : undefined;
      if (!admitted) {
        release = limits.takeUnadmitted();
        if (!release) {
          throw new SanhError('origin_busy', 'The portal is very busy right now. Please try again in a few seconds.', {
            retryAfterSeconds: BUSY_RETRY_SECONDS,
            ...(closing ? { headers: closing } : {}),
          });
        }
      }
      if (streamed) {
        guard = limits.guardBody(streamed, admitted ? undefined : clientKey((connection.clientAddress ?? connection.clientIp)(c)));
        if (!guard) {
          release?.();
          throw new SanhError('rate_limited', 'Very many uploads are arriving from the network you are on right now. Please try again in a few seconds.', {
            retryAfterSeconds: BUSY_RETRY_SECONDS,
            headers: { connection: 'close' },
          });
        }
        body = guard.stream;
      }
    }
    try {
      return await origin.forward({
        method: c.req.method,
        pathAndQuery: `${c.get('sanhPath') ?? url.pathname}${url.search}`,
        headers,
        body,
        forwarding: {
          clientIp: connection.clientIp(c),
          proto: url.protocol.replace(':', ''),
          host: c.req.header('host'),
          trustProxyHops: connection.trustProxyHops ?? 0,
        },
        ...(c.get('sanhRoom') ? { room: c.get('sanhRoom') as string } : {}),
        ...(release ? { onSettled: release } : {}),
      });
    } catch (error) {
      release?.();
      if (guard?.timedOut()) throw bodyTimeout(error);
      guard?.dispose();
      throw error;
    }
  };
}

/** The 408 for a body cut by its deadline (the origin request it was feeding failed with it). */
function bodyTimeout(cause: unknown): SanhError {
  return new SanhError('request_timeout', 'The request body arrived too slowly. Please try again.', { cause, headers: { connection: 'close' } });
}
