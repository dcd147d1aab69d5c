import { readFile } from 'node:fs/promises';
import { ConfigError, parseConfig } from './load.js';
import type { SanhConfig } from './schema.js';

/** Reads and validates the JSON file at `path`; with no path, the defaults (one room covering `/`). */
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
  return parseConfig(json, path);
}
