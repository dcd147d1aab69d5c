import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserSources, GENERATED_NAME, generatedModules, minify, minifyAsset, ROOT } from './browser-assets.js';

/**
 * Each file's budget once minified (bytes): the size of the hand-written string it replaced, so
 * nothing a phone downloads grew in the move (the drafts script also keeps its budget in
 * drafts/client/script.test.ts, and every page its 20 KB in the pages' tests). A new file needs one.
 */
const BUDGETS: Record<string, number> = {
  'src/admin/dashboard/client/dashboard.css': 3_521,
  'src/admin/dashboard/client/dashboard.js': 1_513,
  'src/demo-portal/client/demo.css': 811,
  'src/drafts/client/draft.js': 15_467,
  'src/platform/client/layout.css': 1_358,
  'src/submissions/client/kept.js': 503,
  'src/submissions/client/receipt.css': 871,
  'src/submissions/client/receipt.js': 808,
  'src/waiting-room/challenge/client/challenge.css': 287,
  'src/waiting-room/challenge/client/sha256.js': 1_282,
  'src/waiting-room/challenge/client/solver.js': 1_858,
  'src/waiting-room/client/countdown.js': 1_024,
  'src/waiting-room/client/poller.js': 1_467,
  'src/waiting-room/client/reloader.js': 140,
};

describe('browser files (src/**/client/*.js, *.css)', () => {
  it('are minified into the committed assets.generated.ts modules (run `npm run assets` when this fails)', async () => {
    expect((await browserSources()).length).toBeGreaterThan(0);
    const modules = await generatedModules();
    for (const [path, content] of modules) expect(await readFile(join(ROOT, path), 'utf8').catch(() => '(missing)'), path).toBe(content);
    // and no generated module is left over from a folder whose files are gone
    const onDisk = (await readdir(join(ROOT, 'src'), { recursive: true }))
      .filter((entry) => entry.endsWith(GENERATED_NAME))
      .map((entry) => join('src', entry).split('\\').join('/'));
    expect(onDisk.sort()).toEqual([...modules.keys()].sort());
  });

  it('each stay within its size budget once minified', async () => {
    const sources = await browserSources();
    expect(sources).toEqual(Object.keys(BUDGETS).sort());
    for (const source of sources)
      expect({ source, bytes: Buffer.byteLength((await minifyAsset(source)).text) <= BUDGETS[source]! }).toEqual({ source, bytes: true });
  });

  it('stay ES5 for old phone browsers: esbuild refuses what it cannot lower, and writes nothing newer', async () => {
    await expect(minify('modern.js', 'const a = 1;\nfor (const b of [a]) console.log(b);\n')).rejects.toThrow(/not supported yet/);
    expect(await minify('lowered.js', 'var f = (x) => x ** 2;\n')).not.toMatch(/=>|\*\*/);
  });

  it('keep style sheets readable by old browsers and never end their inline block early', async () => {
    expect(await minify('a.css', 'a { color: rgba(0, 0, 0, 0.5); top: 0; right: 0; bottom: 0; left: 0 }\n')).toBe(
      'a{color:rgba(0,0,0,.5);top:0;right:0;bottom:0;left:0}',
    );
    expect(await minify('a.js', 'var s = "</script>";\n')).toBe('var s="<\\/script>";');
    await expect(minify('a.js', 'var s = "<!--";\n')).rejects.toThrow(/would end its inline block/);
  });
});
