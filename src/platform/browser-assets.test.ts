import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserSources, GENERATED_NAME, generatedModules, minify, ROOT } from './browser-assets.js';

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
