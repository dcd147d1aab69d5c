import { readFileSync } from 'node:fs';

/**
 * The version in Sảnh's package.json, read next to this module: `../../package.json` from both
 * `src/cli/version.ts` (run with tsx) and `dist/cli/version.js` (compiled, and as installed under
 * `node_modules/sanh/`). Throws when the file cannot be read or names no version.
 */
export function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`cannot read the version from ${file.pathname}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const version = typeof manifest === 'object' && manifest !== null ? (manifest as { version?: unknown }).version : undefined;
  if (typeof version !== 'string' || version === '') throw new Error(`${file.pathname} names no version`);
  return version;
}
