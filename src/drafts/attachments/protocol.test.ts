import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../platform/base64url.js';
import { cleanFileName, contentDisposition, mediaTypeOf, parseChecksum, parseCount, parseMetadata, typeAccepted } from './protocol.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('tus header grammar', () => {
  it('reads counts as safe non-negative integers only', () => {
    expect([parseCount('0'), parseCount(' 42 '), parseCount('9007199254740991')]).toEqual([0, 42, 9_007_199_254_740_991]);
    for (const bad of [undefined, '', '-1', '1.5', '1e3', '0x10', '99999999999999999', 'abc']) expect(parseCount(bad)).toBeUndefined();
  });

  it('parses Upload-Metadata pairs of UTF-8 in base64, keys without values included', () => {
    const header = `filename ${b64('Giấy xác nhận.pdf')},filetype ${b64('application/pdf')}, is_confidential`;
    expect(Object.fromEntries(parseMetadata(header) ?? [])).toEqual({ filename: 'Giấy xác nhận.pdf', filetype: 'application/pdf', is_confidential: '' });
    expect(parseMetadata(undefined)?.size).toBe(0);
    for (const bad of ['a b c', 'a YQ==,a YQ==', 'a !!', ',', `a ${Buffer.from([0xff, 0xfe]).toString('base64')}`, 'ké YQ=='])
      expect(parseMetadata(bad)).toBeUndefined();
  });

  it('parses Upload-Checksum: known algorithms with digests of the right length', () => {
    const sha1 = Buffer.alloc(20, 1).toString('base64');
    expect(parseChecksum(`sha1 ${sha1}`)).toEqual({ algorithm: 'sha1', digest: new Uint8Array(Buffer.alloc(20, 1)) });
    expect(parseChecksum(`SHA256 ${Buffer.alloc(32).toString('base64')}`)).toMatchObject({ algorithm: 'sha256' });
    expect(parseChecksum(`md5 ${Buffer.alloc(16).toString('base64')}`)).toBe('unsupported');
    expect(parseChecksum(`crc32 AAAA`)).toBe('unsupported');
    for (const bad of ['sha1', `sha1 ${Buffer.alloc(19).toString('base64')}`, 'sha1 !!!!', `sha1  ${sha1}`]) expect(parseChecksum(bad)).toBeUndefined();
  });

  it('decodes standard base64 with or without padding, and nothing else', () => {
    expect(Buffer.from(decodeBase64('aGk=') ?? []).toString()).toBe('hi');
    expect(Buffer.from(decodeBase64('aGk') ?? []).toString()).toBe('hi');
    expect(decodeBase64('a-b_')).toBeUndefined();
    expect(decodeBase64('a')).toBeUndefined();
  });

  it('cleans file names to their last segment without control characters', () => {
    expect(cleanFileName('C:\\Users\\hoa\\Giấy tờ.pdf')).toBe('Giấy tờ.pdf');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('a\u0000b\r\n"c".pdf')).toBe('abc.pdf');
    expect(cleanFileName('   ')).toBe('attachment');
    expect(cleanFileName(undefined)).toBe('attachment');
    expect(Array.from(cleanFileName('ệ'.repeat(300)))).toHaveLength(255);
  });

  it('normalizes media types and matches them against the form, wildcards included', () => {
    expect(mediaTypeOf('Image/JPEG; q=1')).toBe('image/jpeg');
    expect(mediaTypeOf('pdf')).toBeUndefined();
    expect(typeAccepted('image/png', ['image/*'])).toBe(true);
    expect(typeAccepted('application/pdf', ['image/*'])).toBe(false);
    expect(typeAccepted('application/pdf', ['application/pdf'])).toBe(true);
  });

  it('writes Content-Disposition with an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('Đơn "xin" (1).pdf')).toBe(`attachment; filename="Don _xin_ (1).pdf"; filename*=UTF-8''%C4%90%C6%A1n%20%22xin%22%20%281%29.pdf`);
  });
});
