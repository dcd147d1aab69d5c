import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { bypassReason } from '../waiting-room/bypass.js';
import { phaseAt } from '../waiting-room/schedule.js';
import { maskSecret, maskedSecrets, withSecretsKept } from './secrets.js';
import { applySettings, effectiveSettings, fileSettingsOf, mergeOverrides, patchProblems } from './settings.js';

const A = 'a-staff-secret-0123456789-1111';
const B = 'b-staff-secret-0123456789-2222';
const room = () =>
  parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 10, admitPerMinute: 600, bypass: { paths: ['/static'], secrets: [A, B] } }] }).rooms[0]!;
const request = (path: string, headers: Record<string, string> = {}) => ({
  method: 'GET',
  path,
  clientAddress: undefined,
  header: (name: string) => headers[name],
});

describe('bypass secrets in live settings', () => {
  it('are masked for the API and the audit log', () => {
    expect(maskSecret(A)).toBe('••••1111');
    const shown = maskedSecrets({ maxActive: 3, bypass: room().bypass });
    expect(shown).toEqual({ maxActive: 3, bypass: expect.objectContaining({ paths: ['/static'], secrets: ['••••1111', '••••2222'] }) });
    expect(JSON.stringify(shown)).not.toContain('staff-secret');
    expect(maskedSecrets<{ maxActive: number; bypass?: undefined }>({ maxActive: 3 })).toEqual({ maxActive: 3 });
  });

  it("are never copied into a patch: left out, they stay as they are; masks sent back stand for the secrets; the file's list is sent as null", () => {
    expect(withSecretsKept({ bypass: { paths: ['/help'] } }, [A, B], [A, B])).toEqual({ bypass: { paths: ['/help'] } });
    expect(withSecretsKept({ bypass: { paths: [], secrets: ['••••2222'] } }, [A, B], [A, B])).toEqual({ bypass: { paths: [], secrets: [B] } });
    const fresh = 'c-new-secret-0123456789-3333';
    expect(withSecretsKept({ bypass: { secrets: ['••••1111', fresh] } }, [A, B], [A, B])).toEqual({ bypass: { secrets: [A, fresh] } });
    expect(withSecretsKept({ bypass: { secrets: ['••••1111', '••••2222'] } }, [A, B], [A, B])).toEqual({ bypass: { secrets: null } });
    expect(withSecretsKept({ bypass: { secrets: [] } }, [A, B], [A, B])).toEqual({ bypass: { secrets: [] } });
    expect(withSecretsKept({ bypass: null, maxActive: 3 }, [A], [A])).toEqual({ bypass: null, maxActive: 3 });
    const unknownMask = patchProblems(withSecretsKept({ bypass: { secrets: ['••••9999'] } }, [A], [A]));
    expect('problems' in unknownMask && unknownMask.problems[0]).toMatch(/^bypass\.secrets\.0: must be at least 24 characters/);
  });

  it("a bypass change stores only the rules it names: the file's secrets and addresses stay the file's, a rotation in the file applies", () => {
    const file = fileSettingsOf(
      parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 10, admitPerMinute: 600, bypass: { cidrs: ['10.0.0.0/8'], secrets: [A] } }] }).rooms[0]!,
      false,
    );
    const checked = patchProblems(withSecretsKept({ bypass: { paths: ['/help'] } }, [A], [A]));
    expect(checked).toEqual({ patch: { bypass: { paths: ['/help'] } } });
    const overrides = mergeOverrides({}, 'patch' in checked ? checked.patch : {});
    expect(overrides).toEqual({ bypass: { paths: ['/help'] } });
    expect(effectiveSettings(file, overrides).bypass).toEqual({ paths: ['/help'], extensions: [], cidrs: ['10.0.0.0/8'], secrets: [A] });
    const rotated = { ...file, bypass: { ...file.bypass!, secrets: [B] } };
    expect(effectiveSettings(rotated, overrides).bypass?.secrets).toEqual([B]);
    const own = mergeOverrides(overrides, { bypass: { secrets: ['c-new-secret-0123456789-3333'] } });
    expect(mergeOverrides(own, { bypass: { secrets: null } })).toEqual({ bypass: { paths: ['/help'] } });
  });
});

describe('rules changed live on the shared room object', () => {
  it('bypass rules take effect at once (compiled per rules object, not per room)', () => {
    const target = room();
    const file = fileSettingsOf(target, false);
    expect(bypassReason(target, request('/help'))).toBeUndefined();
    applySettings(target, effectiveSettings(file, { bypass: { paths: ['/help'], extensions: [], cidrs: [], secrets: [] } }));
    expect(bypassReason(target, request('/help'))).toBe('path');
    expect(bypassReason(target, request('/static/x'))).toBeUndefined();
    expect(bypassReason(target, request('/x', { 'sanh-bypass': A }))).toBeUndefined();
    applySettings(target, effectiveSettings(file, {}));
    expect(bypassReason(target, request('/static/x'))).toBe('path');
    expect(bypassReason(target, request('/x', { 'sanh-bypass': A }))).toBe('secret');
  });

  it('events take effect at once (parsed per events array, not per room)', () => {
    const target = room();
    const file = fileSettingsOf(target, false);
    const at = Date.parse('2026-12-01T07:30:00+07:00');
    expect(phaseAt(target, at)).toEqual({ kind: 'normal' });
    applySettings(
      target,
      effectiveSettings(file, { events: [{ id: 'enrol', preQueueFrom: '2026-12-01T07:00:00+07:00', opensAt: '2026-12-01T08:00:00+07:00' }] }),
    );
    expect(phaseAt(target, at)).toMatchObject({ kind: 'prequeue', event: { id: 'enrol' } });
    applySettings(target, effectiveSettings(file, {}));
    expect(phaseAt(target, at)).toEqual({ kind: 'normal' });
  });
});
