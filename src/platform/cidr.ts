/**
 * IP addresses and CIDR blocks, IPv4 and IPv6, without dependencies (the Workers build has no
 * `node:net`). Addresses are compared as 128-bit numbers; IPv4 and IPv4-mapped IPv6
 * (`::ffff:203.0.113.9`, what a dual-stack Node socket reports) are the same address.
 */

/** A parsed block: the network's first address and the prefix length, both in IPv6 space. */
export interface CidrBlock {
  network: bigint;
  prefix: number;
}

const V4_MAPPED = 0xffffn << 32n;

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0] ?? '');
  const right = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** An address as a 128-bit number (IPv4 as IPv4-mapped IPv6), or `undefined` if it is not one. */
export function parseIp(text: string): bigint | undefined {
  const trimmed = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  if (trimmed.includes(':')) return parseV6(trimmed);
  const v4 = parseV4(trimmed);
  return v4 === undefined ? undefined : V4_MAPPED | v4;
}

/** Parses `203.0.113.0/24`, `2001:db8::/32` or a single address; `undefined` if malformed. */
export function parseCidr(text: string): CidrBlock | undefined {
  const [address = '', bits, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const value = parseIp(address);
  if (value === undefined) return undefined;
  const isV4 = !address.includes(':');
  const max = isV4 ? 32 : 128;
  const length = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
  if (!Number.isInteger(length) || length < 0 || length > max) return undefined;
  const prefix = isV4 ? length + 96 : length;
  return { network: value & maskOf(prefix), prefix };
}

function maskOf(prefix: number): bigint {
  return prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
}

/** Builds a matcher for a list of blocks; malformed entries are ignored (the config schema rejects them). */
export function cidrMatcher(blocks: readonly string[]): (address: string | undefined) => boolean {
  const parsed = blocks.map(parseCidr).filter((block): block is CidrBlock => block !== undefined);
  if (parsed.length === 0) return () => false;
  const masks = parsed.map((block) => ({ network: block.network, mask: maskOf(block.prefix) }));
  return (address) => {
    if (!address) return false;
    const value = parseIp(address);
    return value !== undefined && masks.some((block) => (value & block.mask) === block.network);
  };
}
