import { describe, expect, it } from 'vitest';
import { parseKeyRing } from '../../platform/keyring.js';
import { checkAnswer, createChallengeTokens, createProof, createPuzzle, leadingZeroBits, meetsDifficulty, proofValid, solvePuzzle } from './puzzle.js';

const T0 = Date.UTC(2026, 11, 1, 1, 0, 0);
const SETTINGS = { difficultyBits: 8, noScriptWaitSeconds: 20, ttlSeconds: 300 };
const ring = parseKeyRing(`k1:${'a'.repeat(40)}`);
const tokens = createChallengeTokens(ring);

async function issued(now = T0) {
  const puzzle = createPuzzle('main', SETTINGS, now);
  return { puzzle, token: await tokens.signPuzzle(puzzle) };
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

describe('puzzle', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(Uint8Array.from([0x80]))).toBe(0);
    expect(leadingZeroBits(Uint8Array.from([0x01, 0xff]))).toBe(7);
    expect(leadingZeroBits(Uint8Array.from([0, 1]))).toBe(15);
    expect(leadingZeroBits(Uint8Array.from([0, 0, 0x0f]))).toBe(20);
    expect(leadingZeroBits(new Uint8Array(4))).toBe(32);
  });

  it('is issued with a random id, its difficulty, and times from now', () => {
    const a = createPuzzle('main', SETTINGS, T0);
    const b = createPuzzle('main', SETTINGS, T0);
    expect(a).toMatchObject({ room: 'main', difficultyBits: 8, issuedAt: T0, notBefore: T0 + 20_000, expiresAt: T0 + 300_000 });
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('travels in a signed token that reads back only with the same key, untouched, as the same kind', async () => {
    const { puzzle, token } = await issued();
    expect(await tokens.readPuzzle(token)).toEqual(puzzle);
    expect(await tokens.readProof(token)).toBeUndefined();
    expect(await createChallengeTokens(parseKeyRing(`k1:${'b'.repeat(40)}`)).readPuzzle(token)).toBeUndefined();
    const [keyId, body, signature] = token.split('.') as [string, string, string];
    const forged = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    forged.b = 1;
    expect(await tokens.readPuzzle(`${keyId}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`)).toBeUndefined();
    expect(await tokens.readPuzzle(undefined)).toBeUndefined();
    expect(await tokens.readPuzzle('not a token')).toBeUndefined();
    const proof = createProof('main', 300, T0);
    const proofToken = await tokens.signProof(proof);
    expect(await tokens.readProof(proofToken)).toEqual(proof);
    expect(await tokens.readPuzzle(proofToken)).toBeUndefined();
  });

  it('is solved by a counter whose hash with the token starts with enough zero bits', async () => {
    const { puzzle, token } = await issued();
    const counter = await solvePuzzle(token, 8);
    expect(leadingZeroBits(await sha256(`${token}:${counter}`))).toBeGreaterThanOrEqual(8);
    for (let smaller = 0; smaller < Number(counter); smaller++) expect(await meetsDifficulty(token, String(smaller), 8)).toBe(false);
    expect(await checkAnswer(puzzle, token, { counter }, T0 + 1_000)).toEqual({ ok: true });
    // The work is bound to the token: a solution of one puzzle (that happens not to solve another) is wrong there.
    const other = await issued();
    let elsewhere = counter;
    while (await meetsDifficulty(other.token, elsewhere, 8)) elsewhere = await solvePuzzle(token, 8, Number(elsewhere) + 1);
    expect(await checkAnswer(other.puzzle, other.token, { counter: elsewhere }, T0)).toEqual({ ok: false, reason: 'wrong' });
  });

  it('takes counters only as plain decimal numbers, so one solution has one spelling', async () => {
    const { puzzle, token } = await issued();
    const counter = await solvePuzzle(token, 8);
    for (const spelling of ['', ` ${counter}`, `0${counter}`, `${counter}.0`, '-1', '1e3', '0x1f', '1234567890123456', 'abc']) {
      expect(await checkAnswer(puzzle, token, { counter: spelling }, T0)).toEqual({ ok: false, reason: 'wrong' });
    }
  });

  it('lets a visitor without JavaScript through from notBefore, and nobody once expired', async () => {
    const { puzzle, token } = await issued();
    expect(await checkAnswer(puzzle, token, { waited: true }, T0 + 5_000)).toEqual({ ok: false, reason: 'too-early', remainingMs: 15_000 });
    expect(await checkAnswer(puzzle, token, { waited: true }, T0 + 20_000)).toEqual({ ok: true });
    const counter = await solvePuzzle(token, 8);
    expect(await checkAnswer(puzzle, token, { counter }, T0 + 300_000)).toEqual({ ok: false, reason: 'expired' });
    expect(await checkAnswer(puzzle, token, { waited: true }, T0 + 300_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('reads an expired puzzle back (to name its room), leaving expiry to the checks', async () => {
    const { puzzle, token } = await issued(T0 - 3_600_000);
    expect(await tokens.readPuzzle(token)).toEqual(puzzle);
  });

  it('makes proofs good in their own room until they expire', () => {
    const proof = createProof('main', 300, T0);
    expect(proofValid(proof, 'main', T0 + 299_999)).toBe(true);
    expect(proofValid(proof, 'main', T0 + 300_000)).toBe(false);
    expect(proofValid(proof, 'other', T0)).toBe(false);
  });
});
