import { describe, expect, it } from 'vitest';
import { formatWait, pickLang } from './i18n.js';

describe('pickLang', () => {
  it('defaults to Vietnamese', () => {
    expect(pickLang(undefined, undefined)).toBe('vi');
    expect(pickLang(undefined, 'fr-FR,de;q=0.8')).toBe('vi');
  });
  it('honours ?lang= over Accept-Language', () => {
    expect(pickLang('en', 'vi')).toBe('en');
    expect(pickLang('VI', 'en-US')).toBe('vi');
    expect(pickLang('xx', 'en-US')).toBe('en');
  });
  it('ranks Accept-Language by q-value', () => {
    expect(pickLang(undefined, 'en-US,en;q=0.9')).toBe('en');
    expect(pickLang(undefined, 'fr;q=1, en;q=0.4, vi;q=0.8')).toBe('vi');
    expect(pickLang(undefined, 'en;q=0, vi;q=0.1')).toBe('vi');
  });
});

describe('formatWait', () => {
  it('reads naturally in both languages', () => {
    expect(formatWait(30, 'vi')).toBe('dưới 1 phút');
    expect(formatWait(180, 'en')).toBe('about 3 minutes');
    expect(formatWait(60, 'en')).toBe('about 1 minute');
    expect(formatWait(2 * 3600 + 600, 'vi')).toBe('khoảng 2 giờ 10 phút');
  });
});
