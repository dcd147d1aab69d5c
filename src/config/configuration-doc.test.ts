import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configurationMarkdown } from './configuration-doc.js';
import { configJsonSchema } from './json-schema.js';

describe('docs/configuration.md', () => {
  it('is the page `npm run schema` writes from the schema (run it after changing the schema)', async () => {
    const committed = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed, 'docs/configuration.md is out of date: run `npm run schema`').toBe(configurationMarkdown(configJsonSchema()));
  });

  it('lists every key of the schema, with its description', () => {
    const page = configurationMarkdown(configJsonSchema());
    for (const key of [
      'rooms[].maxActive',
      'rooms[].adaptive.autoActivate.calmSeconds',
      'origin.pathNormalization.flavour',
      'drafts.uploads.perAddress.bytesPerHour',
      'submissions.delivery.reclaimAfter',
      'redis.keyPrefix',
      'trustProxyHops',
    ]) {
      expect(page).toContain(`| \`${key}\` |`);
    }
    expect(page).toContain('| `rooms[].sessionIdleSeconds` | integer | `600` | ≥ 10, ≤ 86,400 | An admitted visitor idle this long loses the slot. |');
    expect(page).not.toContain('autoActivation');
  });

  it('refuses a note for a key the schema no longer has', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    const { origin: _origin, ...rest } = schema.properties;
    expect(() => configurationMarkdown({ ...schema, properties: rest })).toThrow(/origin\.reservedForAdmitted/);
  });
});
