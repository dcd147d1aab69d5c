import { describe, expect, it } from 'vitest';
import { CookieJar } from './visitors.js';

describe('a simulated person’s cookie jar', () => {
  it('keeps cookies, replaces them, and forgets one whose Max-Age is 0', () => {
    const jar = new CookieJar();
    expect(jar.header()).toBeUndefined();
    jar.absorb(['sanh_ticket_main=abc; Path=/; HttpOnly', 'demo_sid=1; Path=/']);
    expect(jar.header()).toBe('sanh_ticket_main=abc; demo_sid=1');
    jar.absorb('sanh_ticket_main=; Max-Age=0; Path=/');
    jar.absorb('sanh_pass_main=p=q; Max-Age=600');
    expect(jar.header()).toBe('demo_sid=1; sanh_pass_main=p=q');
    jar.absorb(undefined);
    jar.absorb('garbage');
    expect(jar.header()).toBe('demo_sid=1; sanh_pass_main=p=q');
  });
});
