import { describe, expect, it } from 'vitest';
import { readCookie } from './http.js';

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
