import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatedModules, ROOT } from './browser-assets.js';

// `npm run assets` (and the first step of `npm run build`): minifies the browser files into their generated modules.
for (const [path, content] of await generatedModules()) {
  const current = await readFile(join(ROOT, path), 'utf8').catch(() => undefined);
  if (current === content) continue;
  await writeFile(join(ROOT, path), content);
  console.log(`wrote ${path}`);
}
