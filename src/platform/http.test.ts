import { describe, expect, it } from 'vitest';
import { readCookie, requestIdFor } from './http.js';

describe('readCookie', () => {
  it('finds a cookie by exact name only', () => {
    const header = 'xsanh_pass_main=nope; sanh_pass_main=yes.1.2; sanh_pass_main2=other;sanh_ticket_main=t';
    expect(readCookie(header, 'sanh_pass_main')).toBe('yes.1.2');
    expect(readCookie(header, 'sanh_ticket_main')).toBe('t');
    expect(readCookie(header, 'sanh_pass_other')).toBeUndefined();
    expect(readCookie('sanh_pass_main=', 'sanh_pass_main')).toBeUndefined();
    expect(readCookie(undefined, 'a')).toBeUndefined();
    expect(readCookie('a=1', 'a')).toBe('1');
  });
});

describe('requestIdFor', () => {
  it("keeps a caller's well-formed id and makes a UUID otherwise", () => {
    expect(requestIdFor('abc-123_x=')).toBe('abc-123_x=');
    expect(requestIdFor('x'.repeat(255))).toBe('x'.repeat(255));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const bad of [undefined, null, '', 'x'.repeat(256), 'has space', 'semi;colon', 'ü']) expect(requestIdFor(bad)).toMatch(uuid);
    expect(requestIdFor(undefined)).not.toBe(requestIdFor(undefined));
  });
});

describe('safeLocalPath', () => {
  it('keeps same-site paths and turns everything else into /', async () => {
    const { safeLocalPath } = await import('./http.js');
    expect(safeLocalPath('/apply?step=2')).toBe('/apply?step=2');
    expect(safeLocalPath('//evil.example/x')).toBe('/evil.example/x');
    expect(safeLocalPath('///evil.example')).toBe('/evil.example');
    expect(safeLocalPath('/\t/evil.example')).toBe('/');
    expect(safeLocalPath('/\\evil.example')).toBe('/');
    expect(safeLocalPath('/a\r\nSet-Cookie: x=1')).toBe('/');
    expect(safeLocalPath('https://evil.example/')).toBe('/');
    expect(safeLocalPath(undefined)).toBe('/');
    for (const sneaky of ['/.//evil.example/x', '/a/..//evil.example', '/%2e//evil.example', '/./%2e/..//evil.example']) {
      expect(safeLocalPath(sneaky).startsWith('//')).toBe(false);
    }
    expect(safeLocalPath(`/${'a'.repeat(3_000)}`)).toBe('/');
  });
});
