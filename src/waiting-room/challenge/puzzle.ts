import type { KeyRing } from '../../platform/keyring.js';
import { randomId } from '../../platform/random-id.js';
import { createTokenSigner } from '../../platform/signed-token.js';

/**
 * The join challenge's puzzle and proof, pure apart from the key ring and the randomness of ids:
 * every check takes `now`. Runs on Web APIs alone (Web Crypto), so also on Cloudflare Workers.
 *
 * A puzzle is carried in a signed token. Its solution is a counter (decimal, no leading zeros)
 * such that SHA-256 of `<puzzle token>:<counter>` starts with at least `difficultyBits` zero
 * bits: about 2^difficultyBits hashes of work for the browser, one for the server. Without
 * JavaScript the visitor instead waits until `notBefore` and presses a button. A solved puzzle
 * earns a proof (also a signed token), good for one join in one room until it expires.
 */
export interface Puzzle {
  /** Random; spent in the OnceStore when the puzzle is solved, so it is solved once. */
  id: string;
  room: string;
  difficultyBits: number;
  /** Times in ms since the epoch. */
  issuedAt: number;
  /** Before this, the no-JavaScript answer ("I waited") is refused. */
  notBefore: number;
  expiresAt: number;
  /** How far past its join allowance the visitor's address was when the puzzle was made (`graduated.ts`); 0: within it. */
  level: number;
}

/** A solved challenge: one join in `room` before `expiresAt` (ms since the epoch). */
export interface Proof {
  /** Random; spent in the OnceStore when the proof is redeemed. */
  id: string;
  room: string;
  expiresAt: number;
  /** The level of the puzzle it solved: a proof far below the address's level when redeemed is refused. */
  level: number;
  /** Earned by waiting (no JavaScript), not by work: such waits run side by side, so it must be of the address's level now. */
  waited?: true;
}

/** A room's challenge settings (`rooms[].challenge` in the configuration). */
export interface PuzzleSettings {
  difficultyBits: number;
  noScriptWaitSeconds: number;
  ttlSeconds: number;
}

/** What the visitor sends back: a counter found by the page's script, or (without JavaScript) that they waited. */
export type Answer = { counter: string } | { waited: true };

/** Why an answer is refused (`too-early`: the no-JavaScript wait is not over, `remainingMs` to go). */
export type Verdict = { ok: true } | { ok: false; reason: 'expired' | 'wrong' } | { ok: false; reason: 'too-early'; remainingMs: number };

/** A new puzzle for `room`, issued at `now`. */
export function createPuzzle(room: string, settings: PuzzleSettings, now: number, level = 0): Puzzle {
  return {
    id: randomId(12),
    room,
    difficultyBits: settings.difficultyBits,
    issuedAt: now,
    notBefore: now + settings.noScriptWaitSeconds * 1000,
    expiresAt: now + settings.ttlSeconds * 1000,
    level,
  };
}

/** A new proof for `room`, valid `ttlSeconds` from `now`, for a puzzle of `level` (answered by waiting: `waited`). */
export function createProof(room: string, ttlSeconds: number, now: number, level = 0, waited = false): Proof {
  return { id: randomId(12), room, expiresAt: now + ttlSeconds * 1000, level, ...(waited ? { waited: true as const } : {}) };
}

/** True when `proof` buys a join in `room` at `now` (the OnceStore decides whether it is still unspent). */
export function proofValid(proof: Proof, room: string, now: number): boolean {
  return proof.room === room && now < proof.expiresAt;
}

/** Leading zero bits of a byte string. */
export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const byte of bytes) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

const COUNTER = /^(0|[1-9]\d{0,14})$/;
const encoder = new TextEncoder();

/** True when `counter` (as sent) solves the puzzle in `puzzleToken` at `difficultyBits`. */
export async function meetsDifficulty(puzzleToken: string, counter: string, difficultyBits: number): Promise<boolean> {
  if (!COUNTER.test(counter)) return false;
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(`${puzzleToken}:${counter}`));
  return leadingZeroBits(new Uint8Array(digest)) >= difficultyBits;
}

/**
 * Checks an answer to `puzzle` (read from `puzzleToken`) at `now`: refused once expired; a
 * counter must meet the difficulty; "I waited" only counts from `notBefore`. Says nothing of
 * whether the puzzle was solved before: that is the OnceStore's part.
 */
export async function checkAnswer(puzzle: Puzzle, puzzleToken: string, answer: Answer, now: number): Promise<Verdict> {
  if (now >= puzzle.expiresAt) return { ok: false, reason: 'expired' };
  if ('waited' in answer) {
    return now >= puzzle.notBefore ? { ok: true } : { ok: false, reason: 'too-early', remainingMs: puzzle.notBefore - now };
  }
  return (await meetsDifficulty(puzzleToken, answer.counter, puzzle.difficultyBits)) ? { ok: true } : { ok: false, reason: 'wrong' };
}

/** Finds the smallest counter from `from` that solves the puzzle (what the page does; for tests and measurements). */
export async function solvePuzzle(puzzleToken: string, difficultyBits: number, from = 0): Promise<string> {
  for (let counter = from; ; counter++) {
    if (await meetsDifficulty(puzzleToken, String(counter), difficultyBits)) return String(counter);
  }
}

type ChallengeToken = ({ kind: 'puzzle' } & Puzzle) | ({ kind: 'proof' } & Proof);

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isLevel = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 1_000;
const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 64;

function parseToken(value: unknown): ChallengeToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isId(v.i) || !isId(v.r) || !isTime(v.e)) return undefined;
  const level = v.l === undefined ? 0 : v.l;
  if (!isLevel(level)) return undefined;
  if (v.k === 'p') {
    if (v.w !== undefined && v.w !== 1) return undefined;
    return { kind: 'proof', id: v.i, room: v.r, expiresAt: v.e, level, ...(v.w === 1 ? { waited: true as const } : {}) };
  }
  if (v.k === 'q' && isTime(v.t) && isTime(v.n) && typeof v.b === 'number' && Number.isInteger(v.b) && v.b >= 0 && v.b <= 256) {
    return { kind: 'puzzle', id: v.i, room: v.r, difficultyBits: v.b, issuedAt: v.t, notBefore: v.n, expiresAt: v.e, level };
  }
  return undefined;
}

function toWire(token: ChallengeToken): Record<string, unknown> {
  const level = token.level > 0 ? { l: token.level } : {};
  if (token.kind === 'proof') return { k: 'p', i: token.id, r: token.room, e: token.expiresAt, ...level, ...(token.waited ? { w: 1 } : {}) };
  return { k: 'q', i: token.id, r: token.room, b: token.difficultyBits, t: token.issuedAt, n: token.notBefore, e: token.expiresAt, ...level };
}

/**
 * Signs and reads puzzles and proofs, with a key derived for the join challenge alone. Reading
 * checks authenticity and kind only, not time: expiry is for `checkAnswer` and `proofValid`,
 * so an expired puzzle can be told apart from a forged one (and still names its room).
 */
export interface ChallengeTokens {
  signPuzzle(puzzle: Puzzle): Promise<string>;
  readPuzzle(token: string | undefined): Promise<Puzzle | undefined>;
  signProof(proof: Proof): Promise<string>;
  readProof(token: string | undefined): Promise<Proof | undefined>;
}

/** Creates the challenge token codec on the key ring. */
export function createChallengeTokens(ring: KeyRing): ChallengeTokens {
  const signer = createTokenSigner<ChallengeToken>({
    ring,
    purpose: 'join-challenge',
    parse: parseToken,
    serialize: toWire,
    accept: () => true,
    cacheSize: 2_000,
  });
  return {
    signPuzzle: (puzzle) => signer.sign({ kind: 'puzzle', ...puzzle }),
    signProof: (proof) => signer.sign({ kind: 'proof', ...proof }),
    async readPuzzle(token) {
      const read = await signer.verify(token);
      if (read?.kind !== 'puzzle') return undefined;
      const { kind: _kind, ...puzzle } = read;
      return puzzle;
    },
    async readProof(token) {
      const read = await signer.verify(token);
      if (read?.kind !== 'proof') return undefined;
      const { kind: _kind, ...proof } = read;
      return proof;
    },
  };
}
