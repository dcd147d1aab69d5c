import { describe, expect, it } from 'vitest';
import { patchProblems } from '../admin/settings.js';
import { parseConfig } from './load.js';

const room = (adaptive: unknown, extra: Record<string, unknown> = {}) => ({
  rooms: [{ id: 'main', match: ['/'], maxActive: 10, admitPerMinute: 60, mode: 'passthrough', adaptive, ...extra }],
});
/** Expects the file to be refused with exactly these problems. */
const refused = (input: unknown, problems: unknown[]) => expect(() => parseConfig(input)).toThrow(expect.objectContaining({ name: 'ConfigError', problems }));

describe('auto-activation settings', () => {
  it('defaults to off with a five-minute calm period, and works without adaptive.enabled', () => {
    expect(parseConfig(room({ autoActivate: {} })).rooms[0]?.adaptive).toMatchObject({ enabled: false, autoActivate: { enabled: false, calmSeconds: 300 } });
    expect(parseConfig(room({ autoActivate: { enabled: true, calmSeconds: 2 } })).rooms[0]?.adaptive?.autoActivate).toEqual({ enabled: true, calmSeconds: 2 });
  });

  it('names every bad field', () => {
    refused(room({ autoActivate: { enabled: 'yes', calmSeconds: 0, extra: 1 } }), [
      expect.stringMatching(/^rooms\[0\]\.adaptive\.autoActivate\.enabled: /),
      expect.stringMatching(/^rooms\[0\]\.adaptive\.autoActivate\.calmSeconds: /),
      'rooms[0].adaptive.autoActivate.extra: unknown field',
    ]);
  });

  it('refuses the run-time mark in the file, but takes it as a live setting', () => {
    const marker = { since: '2026-12-02T08:00:00Z', reason: 'p95 900 ms over 500 ms', passthroughFrom: 'file' };
    refused(room({}, { autoActivation: marker }), [expect.stringMatching(/^rooms\[0\]\.autoActivation: is kept by Sảnh in the live settings/)]);
    expect(patchProblems({ mode: 'open', autoActivation: marker })).toEqual({ patch: { mode: 'open', autoActivation: marker } });
    expect(patchProblems({ autoActivation: { ...marker, passthroughFrom: 'someone' } })).toMatchObject({
      problems: [expect.stringMatching(/^autoActivation\.passthroughFrom/)],
    });
  });
});
