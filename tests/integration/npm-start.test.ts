import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EntryProcess, ROOT } from '../helpers/sanh-entry.js';

const BUILT_ENTRY = join(ROOT, 'dist/entry/node.js');

/**
 * `npm start` as the README's first command runs it: the compiled entry (built by `npm ci` through
 * `prepare`, and by `npm test` before the suites), one process under npm, so a SIGTERM sent to npm
 * reaches the process that serves and leaves nothing serving behind.
 */
describe('npm start', () => {
  let started: EntryProcess | undefined;
  afterAll(() => started?.kill());

  it('serves from dist/, and a SIGTERM to npm drains and stops the server (no orphan keeps the port)', async () => {
    expect(existsSync(BUILT_ENTRY), 'npm run build makes dist/entry/node.js').toBe(true);
    started = new EntryProcess({ PORT: '0', HOST: '127.0.0.1', SANH_DRAIN_SECONDS: '5' }, ['npm', 'start', '--silent']);
    const url = await started.ready();
    expect((await fetch(`${url}/_sanh/live`)).status).toBe(200);
    const page = await fetch(`${url}/`);
    expect(page.headers.get('sanh-state')).toBe('admitted');
    await page.body?.cancel();

    started.child.kill('SIGTERM');
    const exit = await started.exited;
    expect(exit.code).toBe(0);
    expect(started.logs().some((line) => line.message === 'drained')).toBe(true);
    await expect(fetch(`${url}/_sanh/live`)).rejects.toThrow();
  });
});
