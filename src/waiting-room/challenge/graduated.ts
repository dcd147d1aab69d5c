import type { PuzzleSettings } from './puzzle.js';

/** The hardest puzzle Sảnh ever asks for (the schema's `difficultyBits` maximum). */
export const MAX_DIFFICULTY_BITS = 28;

/** The longest wait a graduated puzzle offers instead of the work (a day). */
export const MAX_NO_SCRIPT_WAIT_SECONDS = 86_400;

/**
 * How far past its join allowance an address is: 0 within it, then one level more for every
 * half allowance of further joins in the same minute (`taken` joins so far, `allowance` per
 * minute). 300 citizens behind one address with the default allowance of 120 reach level 3.
 */
export function excessLevel(taken: number, allowance: number): number {
  const excess = taken - allowance;
  if (excess <= 0) return 0;
  const step = Math.max(1, Math.ceil(allowance / 2));
  return Math.floor((excess - 1) / step) + 1;
}

/**
 * The puzzle asked of a newcomer at `level` (see `excessLevel`): each level doubles both the
 * work of the proof (one more leading zero bit, up to `MAX_DIFFICULTY_BITS`) and the wait offered
 * instead without JavaScript (up to a day; the puzzle lives that much longer, so a waited puzzle
 * can still be answered). Level 0 is the room's own setting. A browser solves level 3 of the default 16 bits
 * (2^19 hashes) in a few seconds; a script joining as fast as it can pays twice as much for every
 * half allowance more, and without JavaScript waits twice as long, so what one address gets in a
 * minute is its allowance plus what its CPU (or its patience) buys, growing only with the log of
 * the effort.
 */
export function graduatedSettings(base: PuzzleSettings, level: number): PuzzleSettings {
  if (level <= 0) return base;
  const wait = Math.min(MAX_NO_SCRIPT_WAIT_SECONDS, Math.max(1, base.noScriptWaitSeconds) * 2 ** Math.min(level, 32));
  return {
    difficultyBits: Math.min(MAX_DIFFICULTY_BITS, base.difficultyBits + level),
    noScriptWaitSeconds: wait,
    ttlSeconds: base.ttlSeconds + wait,
  };
}
