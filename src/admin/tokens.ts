import { timingSafeEqual, createHash } from 'node:crypto';

/** What an admin token may do: `read` (figures, settings, dead letters, metrics) or `operate` (also change them). */
export type AdminScope = 'read' | 'operate';

/** One admin token: its id (named in logs and the audit log), scope and secret. */
export interface AdminToken {
  id: string;
  scope: AdminScope;
  secret: string;
}

/** `SANH_ADMIN_TOKEN` could not be read. */
export class AdminTokenError extends Error {
  constructor(message: string) {
    super(`SANH_ADMIN_TOKEN: ${message}`);
    this.name = 'AdminTokenError';
  }
}

const MIN_SECRET = 24;
const ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `SANH_ADMIN_TOKEN`: one secret (an `operate` token with id `admin`), or comma-separated
 * `id:scope:secret` entries (`ops:operate:…,grafana:read:…`). Secrets are at least 24 characters.
 */
export function parseAdminTokens(value: string): AdminToken[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new AdminTokenError('is empty');
  const tokens = entries.map((entry, index): AdminToken => {
    const parts = entry.split(':');
    if (parts.length === 1) {
      if (entries.length > 1) throw new AdminTokenError(`entry ${index + 1} must be id:scope:secret when there are several tokens`);
      return { id: 'admin', scope: 'operate', secret: entry };
    }
    const [id = '', scope = '', ...rest] = parts;
    const secret = rest.join(':');
    if (!ID.test(id)) throw new AdminTokenError(`entry ${index + 1}: the id must be 1-32 letters, digits, "_" or "-"`);
    if (scope !== 'read' && scope !== 'operate') throw new AdminTokenError(`entry ${index + 1} (${id}): the scope must be "read" or "operate"`);
    return { id, scope, secret };
  });
  const ids = new Set<string>();
  for (const token of tokens) {
    if (token.secret.length < MIN_SECRET) throw new AdminTokenError(`the secret of "${token.id}" must be at least ${MIN_SECRET} characters`);
    if (ids.has(token.id)) throw new AdminTokenError(`token id "${token.id}" is listed twice`);
    ids.add(token.id);
  }
  return tokens;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Finds the token a bearer secret belongs to, comparing in constant time (over SHA-256 digests,
 * so lengths do not leak). Not Hono's `bearerAuth`: a token here has a name and a role (read or
 * operate, checked per route, named in the audit log), the same tokens sign dashboard sessions,
 * wrong guesses are slowed per address (`auth-limiter.ts`), and a refusal is the uniform JSON
 * error rather than bearerAuth's own answer.
 */
export function tokenChecker(tokens: readonly AdminToken[]): (secret: string | undefined) => AdminToken | undefined {
  const known = tokens.map((token) => ({ token, digest: digest(token.secret) }));
  return (secret) => {
    if (!secret) return undefined;
    const offered = digest(secret);
    let found: AdminToken | undefined;
    for (const entry of known) if (timingSafeEqual(entry.digest, offered)) found = entry.token;
    return found;
  };
}
