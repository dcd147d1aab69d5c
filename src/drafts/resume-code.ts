/**
 * Human resume codes: 15 characters of Crockford's base32 (`0-9 A-Z` without `I L O U`, so no
 * letter looks like a digit), read out and typed as three groups of five: `7KQ2M-9XD4T-RAWH3`.
 *
 * - 6 characters locate the draft (30 bits: the store keeps `locator → draft id`, picked unique),
 * - 8 characters are the secret (40 bits, kept only as a keyed hash),
 * - 1 check character (Luhn mod 32) catches every single mistyped character and most swaps of
 *   neighbours before any attempt is counted.
 *
 * Guessing: a try succeeds with chance `drafts / 2^30 × 2^-40` at best. Each client address has
 * `resume.attemptsPerHour` wrong tries (20 by default; `resume.failuresPerMinute` in any minute)
 * before its wrong tries are refused, and each draft's code stops working after
 * `resume.maxFailures` wrong secrets (10), so even with a million live drafts, a million addresses
 * trying for a year get in with chance about 10^-7.
 */

/** Crockford's base32 alphabet. */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const LOCATOR_LENGTH = 6;
const SECRET_LENGTH = 8;
/** Characters in a code, without separators. */
export const CODE_LENGTH = LOCATOR_LENGTH + SECRET_LENGTH + 1;

/** A resume code's parts. */
export interface ResumeCode {
  /** Finds the draft; not secret. */
  locator: string;
  /** Proves the holder was given the code. */
  secret: string;
  /** The code as people read it: three groups of five. */
  display: string;
}

function checkCharacter(symbols: string): string {
  let sum = 0;
  let double = true;
  for (let i = symbols.length - 1; i >= 0; i--) {
    let value = CODE_ALPHABET.indexOf(symbols[i] as string);
    if (double) {
      value *= 2;
      value = Math.floor(value / 32) + (value % 32);
    }
    sum += value;
    double = !double;
  }
  return CODE_ALPHABET[(32 - (sum % 32)) % 32] as string;
}

function display(symbols: string): string {
  return `${symbols.slice(0, 5)}-${symbols.slice(5, 10)}-${symbols.slice(10)}`;
}

function randomSymbols(count: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(count));
  let out = '';
  for (const byte of bytes) out += CODE_ALPHABET[byte & 31];
  return out;
}

/** The code of a locator and a secret (6 and 8 symbols of `CODE_ALPHABET`), with its check character. */
export function resumeCodeOf(locator: string, secret: string): ResumeCode {
  const body = locator + secret;
  return { locator, secret, display: display(body + checkCharacter(body)) };
}

/** A fresh random resume code. */
export function generateResumeCode(): ResumeCode {
  return resumeCodeOf(randomSymbols(LOCATOR_LENGTH), randomSymbols(SECRET_LENGTH));
}

/**
 * Reads a code as a person typed it: case, spaces and dashes do not matter, `O` is read as `0`
 * and `I`/`L` as `1`. `undefined` when it is not a well-formed code or its check character is wrong.
 */
export function parseResumeCode(typed: string): ResumeCode | undefined {
  if (typed.length > 64) return undefined;
  const symbols = typed
    .toUpperCase()
    .replace(/[\s\-_.]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (symbols.length !== CODE_LENGTH) return undefined;
  for (const symbol of symbols) if (!CODE_ALPHABET.includes(symbol)) return undefined;
  const body = symbols.slice(0, -1);
  if (checkCharacter(body) !== symbols.slice(-1)) return undefined;
  return { locator: body.slice(0, LOCATOR_LENGTH), secret: body.slice(LOCATOR_LENGTH), display: display(symbols) };
}
