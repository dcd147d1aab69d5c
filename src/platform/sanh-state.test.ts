import { describe, expect, it } from 'vitest';
import { SANH_STATES, sanhStateOf, states } from './sanh-state.js';

describe('Sanh-State', () => {
  it("reads Sảnh's own states from an answer, and nothing from a header the origin made up", () => {
    for (const state of SANH_STATES) expect(sanhStateOf(new Headers({ 'sanh-state': state }))).toBe(state);
    expect(sanhStateOf(new Headers({ 'sanh-state': 'Admitted' }))).toBeUndefined();
    expect(sanhStateOf(new Headers())).toBeUndefined();
  });

  it('sets of states answer for their members only, and no for no state', () => {
    const seated = states('queued', 'paused');
    expect(SANH_STATES.filter((state) => seated.has(state))).toEqual(['queued', 'paused']);
    expect(seated.has(undefined)).toBe(false);
  });
});
