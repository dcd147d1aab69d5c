/**
 * A pass's client binding: what a copied cookie cannot bring along. A short hash of the client's
 * network (its IPv4 /24 or IPv6 /64, so a phone moving within its carrier's block keeps it) and
 * its browser family (never the full User-Agent, which changes with every browser update). Not a
 * secret: it only has to differ between the clients a copy is spread to. See docs/passes.md.
 */

/** The client's network: an IPv4 /24 (`a.b.c`) or an IPv6 /64 (its first four groups); `?` when unknown. */
export function networkOf(address: string | undefined): string {
  if (!address) return '?';
  const bare = address
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  const v4 = mapped?.[1] ?? (/^\d+\.\d+\.\d+\.\d+$/.test(bare) ? bare : undefined);
  if (v4) return v4.split('.').slice(0, 3).join('.');
  if (!bare.includes(':')) return '?';
  const [head = '', tail = ''] = bare.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = bare.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = bare.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':');
}

/** Families of the user agents seen lately: a site's visitors send a few hundred distinct ones, and each request asks. */
const families = new Map<string, string>();
const MAX_FAMILIES = 2_000;

/** The browser family of a User-Agent: engine and form factor, stable across versions (remembered for the next request). */
export function userAgentFamily(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  const known = families.get(ua);
  if (known !== undefined) return known;
  if (families.size >= MAX_FAMILIES) families.clear();
  const family = familyOf(ua);
  families.set(ua, family);
  return family;
}

function familyOf(ua: string): string {
  const mobile = /mobile|android|iphone|ipad/i.test(ua) ? 'm' : 'd';
  if (/firefox\//i.test(ua)) return `firefox-${mobile}`;
  if (/chrome\/|chromium\/|crios\//i.test(ua)) return `chromium-${mobile}`;
  if (/safari\//i.test(ua) || /applewebkit/i.test(ua)) return `webkit-${mobile}`;
  const first = /^[A-Za-z][\w.-]{0,30}/.exec(ua)?.[0]?.toLowerCase();
  return `${first ?? 'none'}-${mobile}`;
}

/** Two 32-bit FNV-1a hashes of a string (different offsets), base 36: fast, synchronous, no crypto needed. */
function fnv(text: string): string {
  let first = 0x811c9dc5;
  let second = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    first = Math.imul(first ^ code, 0x01000193);
    second = Math.imul(second ^ code, 0x01000193);
  }
  return `${(first >>> 0).toString(36)}${(second >>> 0).toString(36)}`;
}

/** The binding of a client: `networkOf(address)` and `userAgentFamily(userAgent)`, hashed. */
export function clientBinding(address: string | undefined, userAgent: string | undefined): string {
  return fnv(`${networkOf(address)}|${userAgentFamily(userAgent)}`);
}
