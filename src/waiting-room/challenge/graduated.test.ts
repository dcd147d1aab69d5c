import { describe, expect, it } from 'vitest';
import { challengeSchema } from '../../config/schema.js';
import { excessLevel, graduatedSettings, MAX_DIFFICULTY_BITS, MAX_NO_SCRIPT_WAIT_SECONDS } from './graduated.js';

const defaults = challengeSchema.parse({});

describe('graduated challenge', () => {
  it('asks nothing extra within the allowance, then one level per half allowance', () => {
    expect([0, 1, 120].map((taken) => excessLevel(taken, 120))).toEqual([0, 0, 0]);
    expect([121, 180, 181, 240, 241, 300].map((taken) => excessLevel(taken, 120))).toEqual([1, 1, 2, 2, 3, 3]);
    expect([2, 3, 4].map((taken) => excessLevel(taken, 1))).toEqual([1, 2, 3]);
  });

  it('doubles work and the no-JavaScript wait with each level, within bounds', () => {
    expect(graduatedSettings(defaults, 0)).toBe(defaults);
    expect(graduatedSettings(defaults, 3)).toEqual({ difficultyBits: 19, noScriptWaitSeconds: 160, ttlSeconds: 460 });
    const far = graduatedSettings(defaults, 400);
    expect(far.difficultyBits).toBe(MAX_DIFFICULTY_BITS);
    expect(far.noScriptWaitSeconds).toBe(MAX_NO_SCRIPT_WAIT_SECONDS);
    expect(far.ttlSeconds).toBe(defaults.ttlSeconds + MAX_NO_SCRIPT_WAIT_SECONDS);
    expect(graduatedSettings({ ...defaults, noScriptWaitSeconds: 0 }, 1).noScriptWaitSeconds).toBe(2);
  });
});
