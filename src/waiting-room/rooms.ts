import type { RoomConfig } from '../config/schema.js';
import type { RoomLimits } from './core.js';
import { roomAt } from './schedule.js';

/**
 * Finds the room of a request: among rooms that name the request's host, the longest matching
 * path prefix wins; only when none matches do rooms without `hosts` (any host) get their turn.
 */
export interface RoomMatcher {
  match(host: string | undefined, path: string): RoomConfig | undefined;
  byId(id: string): RoomConfig | undefined;
  all(): readonly RoomConfig[];
}

/** True when `prefix` matches `path` on a whole path segment (`/a` matches `/a/b`, not `/ab`). */
export function prefixMatches(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith('/') || path.length === prefix.length || path[prefix.length] === '/';
}

/** The host name of a `Host` header: lowercase, without port or trailing dot. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const host = header.trim().toLowerCase();
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name?.replace(/\.$/, '') || undefined;
}

/** True when a room's host pattern (`portal.gov.vn` or `*.gov.vn`) covers `host`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/** Builds the matcher. */
export function createRoomMatcher(rooms: readonly RoomConfig[]): RoomMatcher {
  const entries = rooms
    .flatMap((room) => room.match.map((prefix) => ({ prefix, room })))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const withHosts = entries.filter((entry) => entry.room.hosts !== undefined);
  const anyHost = entries.filter((entry) => entry.room.hosts === undefined);
  const ids = new Map(rooms.map((room) => [room.id, room]));
  return {
    match(hostHeader, path) {
      if (withHosts.length > 0) {
        const host = hostName(hostHeader);
        const named =
          host === undefined
            ? undefined
            : withHosts.find((entry) => entry.room.hosts?.some((pattern) => hostMatches(pattern, host)) && prefixMatches(entry.prefix, path));
        if (named) return named.room;
      }
      return anyHost.find((entry) => prefixMatches(entry.prefix, path))?.room;
    },
    byId: (id) => ids.get(id),
    all: () => rooms,
  };
}

/** The limits the store applies to a room at `now` (mode, and an open event's own limits). */
export function limitsOf(room: RoomConfig, now: number): RoomLimits {
  return roomAt(room, now).limits;
}
