import { describe, expect, it } from 'vitest';
import { draftFormSchema } from '../config/drafts.js';
import { SanhError } from '../platform/errors.js';
import { checkFields } from './fields.js';

const form = draftFormSchema.parse({ id: 'f', maxBytes: 1_024, maxFields: 3, maxFieldBytes: 64 });

function fault(run: () => unknown): SanhError {
  try {
    run();
  } catch (error) {
    if (error instanceof SanhError) return error;
    throw error;
  }
  throw new Error('expected a SanhError');
}

describe('draft fields', () => {
  it('keeps each value as JSON text with its size in bytes', () => {
    const fields = checkFields({ name: 'Hoà', agree: true, docs: ['a', 'b'] }, form, 'replace');
    expect({ ...fields }).toEqual({
      name: { json: '"Hoà"', bytes: 6 },
      agree: { json: 'true', bytes: 4 },
      docs: { json: '["a","b"]', bytes: 9 },
    });
  });

  it('keeps nulls as deletions in a merge and drops them from a full set', () => {
    expect({ ...checkFields({ a: null, b: 1 }, form, 'merge') }).toEqual({ a: null, b: { json: '1', bytes: 1 } });
    expect({ ...checkFields({ a: null, b: 1 }, form, 'replace') }).toEqual({ b: { json: '1', bytes: 1 } });
  });

  it('takes "__proto__" as an ordinary field name', () => {
    const fields = checkFields(JSON.parse('{"__proto__":"x"}'), form, 'merge');
    expect(Object.keys(fields)).toEqual(['__proto__']);
  });

  it('names what is wrong', () => {
    expect(fault(() => checkFields([1], form, 'merge')).code).toBe('invalid_draft');
    expect(fault(() => checkFields('x', form, 'merge')).code).toBe('invalid_draft');
    expect(fault(() => checkFields({ '': 1 }, form, 'merge')).code).toBe('invalid_draft');
    expect(fault(() => checkFields({ 'a\u0000': 1 }, form, 'merge')).details).toEqual({ field: 'a\u0000' });
    const big = fault(() => checkFields({ essay: 'x'.repeat(100) }, form, 'merge'));
    expect([big.status, big.details]).toEqual([413, { field: 'essay', limit: 64 }]);
    expect(big.message).toContain('essay');
    const many = fault(() => checkFields({ a: 1, b: 2, c: 3, d: 4 }, form, 'replace'));
    expect([many.status, many.details]).toEqual([422, { limit: 3 }]);
  });

  it('checks the whole of a full set against maxBytes', () => {
    const wide = draftFormSchema.parse({ id: 'w', maxBytes: 1_024, maxFields: 100, maxFieldBytes: 1_000 });
    const fields = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`f${i}`, 'x'.repeat(400)]));
    expect(fault(() => checkFields(fields, wide, 'replace')).status).toBe(413);
    expect(Object.keys(checkFields(fields, wide, 'merge'))).toHaveLength(3);
  });
});

describe('utf8Length', () => {
  it('counts UTF-8 bytes like an encoder', async () => {
    const { utf8Length } = await import('./fields.js');
    for (const text of ['', 'abc', 'Nguyễn Thị Hoà', '€', '𝄞 music', '\ud800 lone', 'đ'.repeat(100)]) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).byteLength);
    }
  });
});
