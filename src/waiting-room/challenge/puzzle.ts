import type { KeyRing } from '../../platform/keyring.js';
import { randomId } from '../../platform/random-id.js';
import { createTokenSigner } from '../../platform/signed-token.js';

/**
 * The join challenge's tokens, pure apart from the clock passed in. A puzzle asks for a counter
 * such that SHA-256 of `<puzzle token>:<counter>` starts with `bits` zero bits (about 2^bits
 * hashes of work in the browser); without JavaScript the visitor instead waits until
 * `notBefore`. Solving it earns a proof, good for one join in one room until it expires.
 */
export interface Puzzle {
  kind: 'puzzle';
  room: string;
  id: string;
  bits: number;
  /** Seconds since the epoch before which the no-JavaScript path is refused. */
  notBefore: number;
  expiresAt: number;
}

/** A solved challenge, carried in the `sanh_proof_<room>` cookie until the visitor joins. */
export interface Proof {
  kind: 'proof';
  room: string;
  id: string;
  expiresAt: number;
}

type ChallengeToken = Puzzle | Proof;

function parse(value: unknown): ChallengeToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.r !== 'string' || typeof v.i !== 'string' || typeof v.e !== 'number') return undefined;
  if (v.k === 'q' && typeof v.b === 'number' && typeof v.n === 'number') {
    return { kind: 'puzzle', room: v.r, id: v.i, bits: v.b, notBefore: v.n, expiresAt: v.e };
  }
  if (v.k === 'p') return { kind: 'proof', room: v.r, id: v.i, expiresAt: v.e };
  return undefined;
}

function serialize(token: ChallengeToken): unknown {
  if (token.kind === 'puzzle') return { k: 'q', r: token.room, i: token.id, b: token.bits, n: token.notBefore, e: token.expiresAt };
  return { k: 'p', r: token.room, i: token.id, e: token.expiresAt };
}

/** Leading zero bits of a byte string. */
export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** True when `counter` solves the puzzle carried by `token`. */
export async function solves(token: string, counter: string, bits: number): Promise<boolean> {
  if (!/^\d{1,15}$/.test(counter)) return false;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${token}:${counter}`)));
  return leadingZeroBits(digest) >= bits;
}

/** Signs and reads puzzles and proofs. */
export interface ChallengeTokens {
  issuePuzzle(room: string, bits: number, noScriptWaitSeconds: number, ttlSeconds: number, now: number): Promise<{ puzzle: Puzzle; token: string }>;
  readPuzzle(token: string | undefined, room: string): Promise<Puzzle | undefined>;
  issueProof(room: string, ttlSeconds: number, now: number): Promise<string>;
  readProof(token: string | undefined, room: string): Promise<Proof | undefined>;
}

/** Creates the challenge token codec on the key ring (its own derived key). */
export function createChallengeTokens(ring: KeyRing, clock: () => number): ChallengeTokens {
  const signer = createTokenSigner<ChallengeToken>({
    ring,
    purpose: 'join-challenge',
    parse,
    serialize,
    accept: (token) => token.expiresAt * 1000 > clock(),
    cacheSize: 1_000,
  });
  return {
    async issuePuzzle(room, bits, noScriptWaitSeconds, ttlSeconds, now) {
      const seconds = Math.floor(now / 1000);
      const puzzle: Puzzle = { kind: 'puzzle', room, id: randomId(12), bits, notBefore: seconds + noScriptWaitSeconds, expiresAt: seconds + ttlSeconds };
      return { puzzle, token: await signer.sign(puzzle) };
    },
    async readPuzzle(token, room) {
      const read = await signer.verify(token);
      return read?.kind === 'puzzle' && read.room === room ? read : undefined;
    },
    issueProof: (room, ttlSeconds, now) => signer.sign({ kind: 'proof', room, id: randomId(12), expiresAt: Math.floor(now / 1000) + ttlSeconds }),
    async readProof(token, room) {
      const read = await signer.verify(token);
      return read?.kind === 'proof' && read.room === room ? read : undefined;
    },
  };
}
