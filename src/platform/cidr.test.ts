import { describe, expect, it } from 'vitest';
import { cidrMatcher, parseCidr, parseIp } from './cidr.js';

describe('CIDR blocks', () => {
  it('parses IPv4, IPv6, compressed and IPv4-mapped addresses', () => {
    expect(parseIp('203.0.113.9')).toBe(parseIp('::ffff:203.0.113.9'));
    expect(parseIp('2001:db8::1')).toBe(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001'));
    expect(parseIp('::1')).toBe(1n);
    expect(parseIp('[::1]')).toBe(1n);
    for (const bad of ['256.1.1.1', '1.2.3', 'abc', '1::2::3', '2001:db8:::1', '']) expect(parseIp(bad)).toBeUndefined();
  });

  it('rejects malformed blocks', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8/1', '2001:db8::/129', 'x/8', '10.0.0.0/']) expect(parseCidr(bad)).toBeUndefined();
    expect(parseCidr('10.1.2.3/8')).toEqual(parseCidr('10.0.0.0/8'));
  });

  it('matches addresses inside the blocks only', () => {
    const inOffice = cidrMatcher(['203.0.113.0/24', '2001:db8:42::/48', '198.51.100.7']);
    expect(inOffice('203.0.113.200')).toBe(true);
    expect(inOffice('::ffff:203.0.113.1')).toBe(true);
    expect(inOffice('203.0.114.1')).toBe(false);
    expect(inOffice('2001:db8:42:ffff::9')).toBe(true);
    expect(inOffice('2001:db8:43::9')).toBe(false);
    expect(inOffice('198.51.100.7')).toBe(true);
    expect(inOffice('198.51.100.8')).toBe(false);
    expect(inOffice(undefined)).toBe(false);
    expect(inOffice('not an ip')).toBe(false);
    expect(cidrMatcher(['0.0.0.0/0'])('8.8.8.8')).toBe(true);
    expect(cidrMatcher(['0.0.0.0/0'])('2001:db8::1')).toBe(false);
  });
});
