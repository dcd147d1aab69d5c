import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { applySettings, effectiveSettings, fileSettingsOf, liveSettingsOf, mergeOverrides, patchProblems } from './settings.js';

const room = () => parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 10, admitPerMinute: 600 }] }).rooms[0]!;

describe('live settings', () => {
  it('validates a patch field by field, like the config file, and refuses fields that are not live', () => {
    expect(patchProblems({ maxActive: 20, mode: 'paused', message: { vi: 'Tạm dừng' } })).toEqual({
      patch: { maxActive: 20, mode: 'paused', message: { vi: 'Tạm dừng' } },
    });
    const refused = patchProblems({ maxActive: -1, admitPerMinute: 'fast', hosts: ['x.vn'] });
    expect('problems' in refused && refused.problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['maxActive', 'admitPerMinute', '(body)']));
    expect(patchProblems({ maxActive: null })).toEqual({ patch: { maxActive: null } });
  });

  it('merges patches (null removes a field) and lets admitBurst follow admitPerMinute unless someone set it', () => {
    const file = fileSettingsOf(room(), false);
    const overrides = mergeOverrides({ maxActive: 20 }, { admitPerMinute: 1200, maxActive: null });
    expect(overrides).toEqual({ admitPerMinute: 1200 });
    expect(effectiveSettings(file, overrides)).toMatchObject({ maxActive: 10, admitPerMinute: 1200, admitBurst: 120 });
    expect(effectiveSettings(file, { ...overrides, admitBurst: 7 }).admitBurst).toBe(7);
    expect(effectiveSettings(fileSettingsOf({ ...room(), admitBurst: 3 }, true), overrides).admitBurst).toBe(3);
  });

  it('applies settings to the room object in place, and puts back what an override no longer sets', () => {
    const target = room();
    const file = fileSettingsOf(target, false);
    applySettings(target, effectiveSettings(file, { mode: 'paused', message: { en: 'Back soon' }, maxActive: 3 }));
    expect(liveSettingsOf(target)).toMatchObject({ mode: 'paused', message: { en: 'Back soon' }, maxActive: 3 });
    applySettings(target, effectiveSettings(file, {}));
    expect(target.mode).toBe('open');
    expect(target.maxActive).toBe(10);
    expect(target.message).toBeUndefined();
  });
});
