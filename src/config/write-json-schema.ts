import { writeFile } from 'node:fs/promises';
import { configJsonSchema } from './json-schema.js';

const target = new URL('../../sanh.schema.json', import.meta.url);
await writeFile(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
