import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from './connection.js';

/** A Lua script with its includes inlined, run by SHA with a fallback to sending its text. */
export interface RedisScript {
  name: string;
  sha: string;
  source: string;
  run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

const INCLUDE = /^--\s*@include\s+"?([A-Za-z0-9_-]+)"?\s*$/gm;

/**
 * Loads `<dir>/<name>.lua`, replacing each `-- @include name` line with `<dir>/includes/<name>.lua`
 * (BullMQ's convention), so shared Lua lives once and each command stays one file.
 */
export function loadScript(dir: URL, name: string): RedisScript {
  const read = (url: URL) => readFileSync(url, 'utf8');
  const source = read(new URL(`${name}.lua`, dir)).replace(INCLUDE, (_line, include: string) => read(new URL(`includes/${include}.lua`, dir)));
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    name,
    sha,
    source,
    async run(client, keys, args) {
      try {
        return await client.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return client.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}
