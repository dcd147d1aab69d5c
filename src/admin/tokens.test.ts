import { describe, expect, it } from 'vitest';
import { parseAdminTokens, tokenChecker } from './tokens.js';

const S = 's'.repeat(24);

describe('admin tokens', () => {
  it('reads one secret as the operate token "admin", or id:scope:secret entries', () => {
    expect(parseAdminTokens(S)).toEqual([{ id: 'admin', scope: 'operate', secret: S }]);
    expect(parseAdminTokens(`ops:operate:${S}, grafana:read:${S}x:y`)).toEqual([
      { id: 'ops', scope: 'operate', secret: S },
      { id: 'grafana', scope: 'read', secret: `${S}x:y` },
    ]);
  });

  it('names what is wrong', () => {
    expect(() => parseAdminTokens('')).toThrow(/is empty/);
    expect(() => parseAdminTokens('short')).toThrow(/at least 24 characters/);
    expect(() => parseAdminTokens(`ops:write:${S}`)).toThrow(/scope must be "read" or "operate"/);
    expect(() => parseAdminTokens(`bad id:read:${S}`)).toThrow(/the id must be/);
    expect(() => parseAdminTokens(`a:read:${S},a:operate:${S}1`)).toThrow(/listed twice/);
    expect(() => parseAdminTokens(`${S},b:read:${S}`)).toThrow(/must be id:scope:secret/);
  });

  it('finds the token of a secret, and nothing for anything else', () => {
    const check = tokenChecker(parseAdminTokens(`ops:operate:${S},ro:read:${S}r`));
    expect(check(S)?.id).toBe('ops');
    expect(check(`${S}r`)?.scope).toBe('read');
    expect(check(`${S}x`)).toBeUndefined();
    expect(check('')).toBeUndefined();
    expect(check(undefined)).toBeUndefined();
  });
});
