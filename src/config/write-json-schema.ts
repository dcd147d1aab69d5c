import { writeFile } from 'node:fs/promises';
import { configurationMarkdown } from './configuration-doc.js';
import { configJsonSchema } from './json-schema.js';

// `npm run schema`: the JSON Schema for editors and the configuration reference, both from the one schema.
const schema = configJsonSchema();
const targets: [URL, string][] = [
  [new URL('../../sanh.schema.json', import.meta.url), `${JSON.stringify(schema, null, 2)}\n`],
  [new URL('../../docs/configuration.md', import.meta.url), configurationMarkdown(schema)],
];
for (const [target, content] of targets) {
  await writeFile(target, content);
  console.log(`wrote ${target.pathname}`);
}
