import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { roomTemplateProblems } from '../waiting-room/template.js';
import { ConfigError, parseConfig } from './load.js';
import type { SanhConfig } from './schema.js';

/**
 * Reads and validates the JSON file at `path`; with no path, the defaults (one room covering `/`).
 * A room's `template` is read from the file's folder (when relative) into `templateHtml` and
 * checked (see `waiting-room/template.ts`); a template that cannot be read or used is a
 * ConfigError naming `rooms[i].template`.
 */
export async function loadConfigFile(path: string | undefined): Promise<SanhConfig> {
  if (!path) return parseConfig({}, 'defaults');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  const config = parseConfig(json, path);
  const problems = await readTemplates(config, dirname(path));
  if (problems.length > 0) throw new ConfigError(path, problems);
  return config;
}

async function readTemplates(config: SanhConfig, folder: string): Promise<string[]> {
  const unreadable = await Promise.all(
    config.rooms.map(async (room, index) => {
      if (room.template === undefined) return undefined;
      const file = resolve(folder, room.template);
      try {
        room.templateHtml = await readFile(file, 'utf8');
        return undefined;
      } catch (error) {
        return `rooms[${index}].template: cannot read ${file}: ${(error as Error).message}`;
      }
    }),
  );
  return [...unreadable.filter((problem) => problem !== undefined), ...roomTemplateProblems(config.rooms)];
}
