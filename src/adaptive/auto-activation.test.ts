import { describe, expect, it } from 'vitest';
import type { AutoActivationMarker } from '../config/adaptive.js';
import { autoActivationPatch, decideAutoActivation, endedByModeChange, type AutoActivationInput } from './auto-activation.js';

const T0 = Date.parse('2026-12-02T08:00:00Z');
const at = (seconds: number) => T0 + seconds * 1000;
const iso = (seconds: number) => new Date(at(seconds)).toISOString();
const unhealthy = { verdict: 'unhealthy', reason: 'p95 900 ms over 500 ms' } as const;
const healthy = { verdict: 'healthy' } as const;
const quiet = { verdict: 'quiet' } as const;
const marker = (overrides: Partial<AutoActivationMarker> = {}): AutoActivationMarker => ({
  since: iso(0),
  reason: 'p95 900 ms over 500 ms',
  passthroughFrom: 'file',
  ...overrides,
});
const input = (overrides: Partial<AutoActivationInput>): AutoActivationInput => ({
  enabled: true,
  calmSeconds: 60,
  room: { mode: 'passthrough', marker: undefined },
  health: healthy,
  throttled: false,
  calmSince: undefined,
  now: at(0),
  ...overrides,
});

describe('auto-activation decisions', () => {
  it('switches a passthrough room to open on an unhealthy interval, with the reason', () => {
    expect(decideAutoActivation(input({ health: unhealthy }))).toEqual({
      calmSince: undefined,
      action: { kind: 'activate', reason: 'p95 900 ms over 500 ms' },
    });
  });

  it('leaves healthy, quiet, disabled and non-passthrough rooms alone', () => {
    expect(decideAutoActivation(input({ health: healthy })).action.kind).toBe('none');
    expect(decideAutoActivation(input({ health: quiet })).action.kind).toBe('none');
    expect(decideAutoActivation(input({ health: unhealthy, enabled: false })).action.kind).toBe('none');
    for (const mode of ['open', 'queue-all', 'paused', 'closed'] as const)
      expect(decideAutoActivation(input({ health: unhealthy, room: { mode, marker: undefined } })).action.kind).toBe('none');
  });

  it('counts the calm run from its first calm interval; an unhealthy one ends it', () => {
    expect(decideAutoActivation(input({ now: at(5) })).calmSince).toBe(at(5));
    expect(decideAutoActivation(input({ health: quiet, calmSince: at(5), now: at(10) })).calmSince).toBe(at(5));
    expect(
      decideAutoActivation(input({ health: unhealthy, calmSince: at(5), now: at(10), room: { mode: 'open', marker: marker() } })).calmSince,
    ).toBeUndefined();
  });

  it('switches back after calmSeconds of healthy intervals counted from the activation, not before, and never on a quiet one', () => {
    const open = { mode: 'open' as const, marker: marker() };
    // This instance was calm long before the activation (another instance activated): counted from `since`.
    expect(decideAutoActivation(input({ room: open, calmSince: at(-600), now: at(59) })).action.kind).toBe('none');
    expect(decideAutoActivation(input({ room: open, calmSince: at(-600), now: at(60) })).action).toEqual({
      kind: 'deactivate',
      reason: 'the origin was calm for 60 s',
    });
    expect(decideAutoActivation(input({ room: open, health: quiet, calmSince: at(-600), now: at(60) })).action.kind).toBe('none');
    // An instance that only ever sees quiet intervals (it proxies little) never starts a calm run.
    expect(decideAutoActivation(input({ room: open, health: quiet, now: at(600) }))).toEqual({ calmSince: undefined, action: { kind: 'none' } });
    expect(decideAutoActivation(input({ room: open, calmSince: at(30), now: at(80) })).action.kind).toBe('none');
    expect(decideAutoActivation(input({ room: open, health: unhealthy, calmSince: at(0), now: at(600) })).action.kind).toBe('none');
  });

  it("waits for adaptive admission to be back at the operator's rate before switching back", () => {
    const open = { mode: 'open' as const, marker: marker() };
    expect(decideAutoActivation(input({ room: open, throttled: true, calmSince: at(0), now: at(600) })).action.kind).toBe('none');
  });

  it('ends an activation in force even when auto-activation was switched off meanwhile', () => {
    expect(decideAutoActivation(input({ enabled: false, room: { mode: 'open', marker: marker() }, calmSince: at(0), now: at(60) })).action.kind).toBe(
      'deactivate',
    );
  });

  it("never reverts an operator's mode: after they set it, only forgets the mark once calm, counted from their change", () => {
    const taken = marker({ endedBy: 'ops', endedAt: iso(100) });
    for (const mode of ['open', 'passthrough', 'queue-all'] as const) {
      expect(decideAutoActivation(input({ room: { mode, marker: taken }, calmSince: at(0), now: at(159) })).action.kind).toBe('none');
      expect(decideAutoActivation(input({ room: { mode, marker: taken }, calmSince: at(0), now: at(160) })).action).toEqual({ kind: 'rearm' });
    }
    // While the origin still struggles, the operator's passthrough is not switched to open again.
    expect(decideAutoActivation(input({ room: { mode: 'passthrough', marker: taken }, health: unhealthy, now: at(200) })).action.kind).toBe('none');
  });
});

describe('auto-activation patches', () => {
  const view = { mode: 'passthrough' as const, marker: undefined };

  it('activation sets open and the mark, saying whose passthrough it replaced', () => {
    expect(autoActivationPatch({ kind: 'activate', reason: 'r' }, view, {}, at(0))).toEqual({
      mode: 'open',
      autoActivation: { since: iso(0), reason: 'r', passthroughFrom: 'file' },
    });
    expect(autoActivationPatch({ kind: 'activate', reason: 'r' }, view, { mode: 'passthrough' }, at(0))).toMatchObject({
      autoActivation: { passthroughFrom: 'operator' },
    });
  });

  it("the switch back restores that passthrough (the file's: no override left) and drops the mark", () => {
    expect(autoActivationPatch({ kind: 'deactivate', reason: 'r' }, { mode: 'open', marker: marker() }, { mode: 'open' }, at(60))).toEqual({
      mode: null,
      autoActivation: null,
    });
    expect(
      autoActivationPatch({ kind: 'deactivate', reason: 'r' }, { mode: 'open', marker: marker({ passthroughFrom: 'operator' }) }, { mode: 'open' }, at(60)),
    ).toEqual({ mode: 'passthrough', autoActivation: null });
    expect(autoActivationPatch({ kind: 'rearm' }, view, {}, at(60))).toEqual({ autoActivation: null });
    expect(autoActivationPatch({ kind: 'none' }, view, {}, at(60))).toBeUndefined();
  });

  it("an operator's mode change during an activation marks it ended by them; other changes leave it", () => {
    expect(endedByModeChange(marker(), { mode: 'queue-all' }, 'ops', at(100))).toEqual({
      mode: 'queue-all',
      autoActivation: { ...marker(), endedBy: 'ops', endedAt: iso(100) },
    });
    expect(endedByModeChange(marker(), { mode: null }, 'ops', at(100))).toMatchObject({ autoActivation: { endedBy: 'ops' } });
    expect(endedByModeChange(marker(), { maxActive: 5 }, 'ops', at(100))).toEqual({ maxActive: 5 });
    expect(endedByModeChange(undefined, { mode: 'open' }, 'ops', at(100))).toEqual({ mode: 'open' });
    expect(endedByModeChange(marker({ endedBy: 'a', endedAt: iso(1) }), { mode: 'open' }, 'ops', at(100))).toEqual({ mode: 'open' });
    expect(endedByModeChange(marker(), { mode: 'open', autoActivation: null }, 'ops', at(100))).toEqual({ mode: 'open', autoActivation: null });
  });
});
