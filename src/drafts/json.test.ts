import { describe, expect, it } from 'vitest';
import { draftsForMode, draftsSchema } from '../config/drafts.js';
import { SanhError } from '../platform/errors.js';
import { jsonShape, MAX_JSON_DEPTH, MAX_JSON_VALUES, parseBoundedJson } from './json.js';

const refusal = (text: string) => {
  try {
    parseBoundedJson(text);
  } catch (error) {
    return error instanceof SanhError ? [error.status, error.code] : ['not a SanhError'];
  }
  return undefined;
};

describe('bounded JSON of the drafts API', () => {
  it('measures depth and values, skipping strings and their escapes', () => {
    expect(jsonShape('{"a":[1,2,{"b":"[[[{{\\"]]"}],"c":null}')).toEqual({ depth: 3, values: 6 });
    expect(jsonShape('"just text"')).toEqual({ depth: 0, values: 0 });
    expect(jsonShape('[]')).toEqual({ depth: 1, values: 0 });
  });

  it('parses bodies within the bounds', () => {
    const nested = `${'['.repeat(MAX_JSON_DEPTH)}1${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(refusal(nested)).toBeUndefined();
    expect(parseBoundedJson('{"formId":"f","fields":{"a":"x"}}')).toEqual({ formId: 'f', fields: { a: 'x' } });
  });

  it('refuses deeper nesting with 400, too many values with 413, and text that is not JSON with 400', () => {
    expect(refusal(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`)).toEqual([400, 'bad_request']);
    expect(refusal(`{"a":${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}}`)).toEqual([400, 'bad_request']);
    expect(refusal('['.repeat(100_000))).toEqual([400, 'bad_request']);
    expect(refusal(`[${Array.from({ length: MAX_JSON_VALUES + 1 }, () => '0').join(',')}]`)).toEqual([413, 'payload_too_large']);
    expect(refusal('{"a":')).toEqual([400, 'bad_request']);
  });
});

describe('drafts of forms not listed, by mode', () => {
  it('are refused in production unless acceptUnlistedForms is set, and accepted in development', () => {
    const unset = draftsSchema.parse({});
    expect(draftsForMode(unset, true).acceptUnlistedForms).toBe(false);
    expect(draftsForMode(unset, false).acceptUnlistedForms).toBe(true);
    expect(draftsForMode(draftsSchema.parse({ acceptUnlistedForms: true }), true).acceptUnlistedForms).toBe(true);
    expect(draftsForMode(draftsSchema.parse({ acceptUnlistedForms: false }), false).acceptUnlistedForms).toBe(false);
  });
});
