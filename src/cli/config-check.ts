import { loadConfigFile } from '../config/file.js';
import { ConfigError } from '../config/load.js';

/** What `sanh config check` found: a valid file's rooms, or every problem the service would refuse it for. */
export type ConfigCheck = { ok: true; file: string; rooms: string[] } | { ok: false; file: string; message: string };

/**
 * Checks a Sảnh configuration file with the loader the service uses at start (`loadConfigFile`:
 * the schema, then the rooms' templates, read relative to the file). No Redis, admin token or
 * network is needed. An unreadable file, invalid JSON or any invalid field gives `ok: false` and
 * the ConfigError's message, which names every bad field; any other failure is thrown.
 */
export async function checkConfigFile(file: string): Promise<ConfigCheck> {
  try {
    const config = await loadConfigFile(file);
    return { ok: true, file, rooms: config.rooms.map((room) => room.id) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, file, message: error.message };
    throw error;
  }
}

/** A valid file in one line: `ok: deploy/sanh.example.json: 2 rooms (main, residence)`. */
export function describeConfigCheck(check: Extract<ConfigCheck, { ok: true }>): string {
  const count = check.rooms.length;
  return `ok: ${check.file}: ${count} ${count === 1 ? 'room' : 'rooms'} (${check.rooms.join(', ')})`;
}
