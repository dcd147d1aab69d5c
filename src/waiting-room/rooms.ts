import type { RoomConfig } from '../config/schema.js';
import type { RoomLimits } from './core.js';
import { roomAt } from './schedule.js';

/** Finds the room of a request path: the longest matching prefix over all rooms wins. */
export interface RoomMatcher {
  match(path: string): RoomConfig | undefined;
  byId(id: string): RoomConfig | undefined;
  all(): readonly RoomConfig[];
}

function prefixMatches(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith('/') || path.length === prefix.length || path[prefix.length] === '/';
}

/** Builds the matcher; prefixes are matched on path segment boundaries (`/a` matches `/a/b`, not `/ab`). */
export function createRoomMatcher(rooms: readonly RoomConfig[]): RoomMatcher {
  const entries = rooms
    .flatMap((room) => room.match.map((prefix) => ({ prefix, room })))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const ids = new Map(rooms.map((room) => [room.id, room]));
  return {
    match: (path) => entries.find((entry) => prefixMatches(entry.prefix, path))?.room,
    byId: (id) => ids.get(id),
    all: () => rooms,
  };
}

/** The limits the store applies to a room at `now` (mode, and an open event's own limits). */
export function limitsOf(room: RoomConfig, now: number): RoomLimits {
  return roomAt(room, now).limits;
}
