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

describe('bypass details', () => {
  it('never bypasses ambiguous paths, bypasses extensions for GET and HEAD only, keys IPv6 by /64', async () => {
    const { bypassReason, clientAddress, clientKey } = await import('../waiting-room/bypass.js');
    const { parseConfig } = await import('../config/load.js');
    const room = parseConfig({ rooms: [{ id: 'r', match: ['/'], maxActive: 1, admitPerMinute: 1, bypass: { paths: ['/static'], extensions: ['css'] } }] })
      .rooms[0]!;
    const request = (path: string, method = 'GET') => ({ method, path, clientAddress: undefined, header: () => undefined });
    expect(bypassReason(room, request('/static/app.js'))).toBe('path');
    expect(bypassReason(room, request('/site.css'))).toBe('extension');
    expect(bypassReason(room, request('/site.css', 'POST'))).toBeUndefined();
    for (const path of ['/apply;.css', '/static/..;/apply', '/static/../apply', '/static%2f..%2fapply', '/apply%2ecss', '/static\\..\\apply']) {
      expect(bypassReason(room, request(path))).toBeUndefined();
    }
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::9')).toBe('2001:db8:0:0::/64');
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey(undefined)).toBe('unknown');
    expect(clientAddress('10.0.0.1', '198.51.100.2', 2)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', '1.1.1.1, 198.51.100.2', 1)).toBe('198.51.100.2');
  });
});
