import type { Context } from 'hono';
import type { RoomConfig } from '../config/schema.js';
import { SanhError } from '../platform/errors.js';
import type { SanhEnv } from '../platform/http.js';
import type { RoomLimits } from './core.js';
import {
  LENIENT_READINGS,
  mayReadLeniently,
  normalisePath,
  PATH_PRESETS,
  prefixKey,
  rawPathOf,
  readPath,
  REFUSAL_TEXT,
  type PathRefusal,
  type PathRules,
} from './path-normal.js';
import { roomAt } from './schedule.js';

/** A request path read for the room decision: its room (if any), the path to forward and the key it was matched on; or refused. */
export type RoomResolution = { ok: true; room: RoomConfig | undefined; path: string; key: string } | { ok: false; reason: PathRefusal };

/**
 * Finds the room of a request: among rooms that name the request's host, the longest matching
 * path prefix wins; only when none matches do rooms without `hosts` (any host) get their turn.
 * Rooms are matched on the origin's reading of the path (`path-normal.ts`): `resolve` reads a
 * path as sent, `match` takes one already read (a `key`, or a plain path such as `/apply/form`).
 */
export interface RoomMatcher {
  match(host: string | undefined, path: string): RoomConfig | undefined;
  /** Reads `rawPath` (as sent, without the query) by the matcher's path rules and finds its room. */
  resolve(host: string | undefined, rawPath: string): RoomResolution;
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

interface PrefixTable {
  withHosts: { prefix: string; room: RoomConfig }[];
  anyHost: { prefix: string; room: RoomConfig }[];
}

function prefixTable(rooms: readonly RoomConfig[], keyOf: (prefix: string) => string): PrefixTable {
  const entries = rooms.flatMap((room) => room.match.map((prefix) => ({ prefix: keyOf(prefix), room }))).sort((a, b) => b.prefix.length - a.prefix.length);
  return { withHosts: entries.filter((entry) => entry.room.hosts !== undefined), anyHost: entries.filter((entry) => entry.room.hosts === undefined) };
}

function findRoom(table: PrefixTable, hostHeader: string | undefined, path: string): RoomConfig | undefined {
  if (table.withHosts.length > 0) {
    const host = hostName(hostHeader);
    const named =
      host === undefined
        ? undefined
        : table.withHosts.find((entry) => entry.room.hosts?.some((pattern) => hostMatches(pattern, host)) && prefixMatches(entry.prefix, path));
    if (named) return named.room;
  }
  return table.anyHost.find((entry) => prefixMatches(entry.prefix, path))?.room;
}

/**
 * Builds the matcher. Room prefixes are read by `rules` once, here, the way request paths are
 * (`/Apply/` under a case-insensitive flavour is `/apply`, and covers `/apply` itself). With
 * `refuseAmbiguous`, a path that any of the lenient readings (`LENIENT_READINGS`) puts in another
 * room than its own reading does is refused (`ambiguous_room`), and so is a path one of them
 * reads a dot segment in (`/apply/static/．．/form`, which IIS reads as `/apply/form`: it could
 * otherwise be matched to a bypass path and be read as a gated one).
 */
export function createRoomMatcher(rooms: readonly RoomConfig[], rules: PathRules = PATH_PRESETS.strict): RoomMatcher {
  const own = prefixTable(rooms, (prefix) => prefixKey(prefix, rules) ?? prefix);
  const lenient = (rules.refuseAmbiguous ? LENIENT_READINGS : []).map((reading) => ({
    reading,
    table: prefixTable(rooms, (prefix) => prefixKey(prefix, rules, reading) ?? prefix),
    prefixesDiffer: rooms.some((room) => room.match.some((prefix) => prefixKey(prefix, rules) !== prefixKey(prefix, rules, reading))),
  }));
  const ids = new Map(rooms.map((room) => [room.id, room]));
  return {
    match: (hostHeader, path) => findRoom(own, hostHeader, path),
    resolve(hostHeader, rawPath) {
      const normal = normalisePath(rawPath, rules);
      if (!normal.ok) return normal;
      const room = findRoom(own, hostHeader, normal.key);
      const plain = !mayReadLeniently(normal.path);
      for (const { reading, table, prefixesDiffer } of lenient) {
        if (plain && !prefixesDiffer) continue;
        const read = readPath(normal.path, reading);
        if (!read.ok) return read;
        if (read.dots) return { ok: false, reason: 'ambiguous_dot_segment' };
        if (findRoom(table, hostHeader, read.key) !== room) return { ok: false, reason: 'ambiguous_room' };
      }
      return { ok: true, room, path: normal.path, key: normal.key };
    },
    byId: (id) => ids.get(id),
    all: () => rooms,
  };
}

/** The 400 a refused path gets: `ambiguous_path`, with the `reason` beside the error. */
export function ambiguousPath(reason: PathRefusal): SanhError {
  return new SanhError(
    'ambiguous_path',
    `This address is written in a way the portal could read as another page (${REFUSAL_TEXT[reason]}). Please open the link as the portal gives it.`,
    {
      details: { reason },
    },
  );
}

/**
 * The gate's reading of a request's path: the key to match rooms and bypass rules on. The path
 * to forward goes to the proxy as `sanhPath` (the origin gets the path the room decision read).
 * Throws `ambiguous_path` (400) for a refused spelling, and for another spelling of Sảnh's own
 * `/_sanh` paths (`//_sanh/...`, `/_SANH/...`): those reach the gate only because they were not
 * spelled as Sảnh routes them.
 */
export function gatePath(c: Context<SanhEnv>, rooms: RoomMatcher): string {
  const raw = rawPathOf(c.req.url);
  const resolved = rooms.resolve(c.req.header('host'), raw);
  if (!resolved.ok) throw ambiguousPath(resolved.reason);
  if ((resolved.key === '/_sanh' || resolved.key.startsWith('/_sanh/')) && raw !== resolved.key) throw ambiguousPath('ambiguous_room');
  c.set('sanhPath', resolved.path);
  return resolved.key;
}

/** The limits the store applies to a room at `now` (mode, and an open event's own limits). */
export function limitsOf(room: RoomConfig, now: number): RoomLimits {
  return roomAt(room, now).limits;
}
