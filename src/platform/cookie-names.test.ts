import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../admin/dashboard/session.js';
import { OWNER_COOKIE } from '../drafts/access.js';
import { stripSanhCookies } from '../proxy/headers.js';
import { proofCookieName } from '../waiting-room/challenge/routes.js';
import { BYPASS_COOKIE } from '../waiting-room/bypass.js';
import { cookieNames } from '../waiting-room/visit.js';
import { SANH_COOKIE_PREFIX, SANH_COOKIES } from './cookie-names.js';

const everyName = (roomId: string) => Object.values(SANH_COOKIES).map((name) => (typeof name === 'function' ? name(roomId) : name));

describe('the cookie registry', () => {
  it('is where every domain takes its cookie names from', () => {
    const names = everyName('main');
    for (const name of [...Object.values(cookieNames('main')), proofCookieName('main'), BYPASS_COOKIE, SESSION_COOKIE, OWNER_COOKIE])
      expect(names).toContain(name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("keeps every one of Sảnh's cookies from the origin, and the portal's own", () => {
    const header = [...everyName('main').map((name, i) => `${name}=v${i}`), 'portal_session=abc', 'lang=vi'].join('; ');
    expect(stripSanhCookies(header)).toBe('portal_session=abc; lang=vi');
    for (const name of everyName('room-2')) expect(name.startsWith(SANH_COOKIE_PREFIX)).toBe(true);
  });
});
