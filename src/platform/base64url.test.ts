import { describe, expect, it } from 'vitest';
import { base64Url, webBase64Url } from './base64url.js';

describe('base64url', () => {
  it('the native and the Web codecs agree on every length and byte, both ways', () => {
    expect(base64Url).not.toBe(webBase64Url);
    for (let length = 0; length < 70; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      const text = webBase64Url.encode(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(base64Url.encode(bytes)).toBe(text);
      expect(base64Url.encode(bytes.subarray(1))).toBe(webBase64Url.encode(bytes.subarray(1)));
      expect(base64Url.decode(text)).toEqual(bytes);
      expect(webBase64Url.decode(text)).toEqual(bytes);
    }
    expect(base64Url.encode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });

  it('both refuse what is not base64url', () => {
    for (const codec of [base64Url, webBase64Url]) {
      for (const bad of ['a+b', 'ab/c', 'abc=', 'a', 'abcde', ' ab', 'é']) expect(codec.decode(bad)).toBeUndefined();
      expect(codec.decode('')).toEqual(new Uint8Array(0));
    }
  });
});
