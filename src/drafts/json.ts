/**
 * Parsing a drafts API body as JSON within bounds (pure). `JSON.parse` itself copes with deep
 * nesting, but everything after it that walks the value (the field checks' `JSON.stringify`, the
 * sealing) recurses and would overflow the stack on an array nested 100,000 deep: such a body
 * is refused before it is parsed, by one linear scan of its text.
 */
import { SanhError } from '../platform/errors.js';

/** Deepest nesting of arrays and objects a drafts API body may have (the body itself is depth 1). */
export const MAX_JSON_DEPTH = 32;
/** Most object members and array elements a drafts API body may hold, at every depth together. */
export const MAX_JSON_VALUES = 50_000;

/** What a scan of JSON text found: its deepest nesting and how many members and elements it holds. */
export interface JsonShape {
  depth: number;
  values: number;
}

/**
 * The nesting depth and member/element count of JSON text, scanned without parsing (strings
 * are skipped, escapes included). Stops counting once past `stopAt` depth or values.
 */
export function jsonShape(text: string, stopAt: { depth: number; values: number } = { depth: MAX_JSON_DEPTH, values: MAX_JSON_VALUES }): JsonShape {
  let depth = 0;
  let deepest = 0;
  let values = 0;
  /** Whether the current container has had a value yet (so a "," or the first value counts one). */
  let empty = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 /* " */) {
      if (empty) {
        values += 1;
        empty = false;
      }
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 0x5c /* \ */) i++;
        else if (inner === 0x22) break;
      }
    } else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      if (empty) values += 1;
      depth += 1;
      if (depth > deepest) deepest = depth;
      empty = true;
      if (deepest > stopAt.depth) break;
    } else if (code === 0x5d /* ] */ || code === 0x7d /* } */) {
      depth -= 1;
      empty = false;
    } else if (code === 0x2c /* , */) {
      values += 1;
    } else if (empty && code > 0x20) {
      values += 1;
      empty = false;
    }
    if (values > stopAt.values) break;
  }
  return { depth: deepest, values };
}

/**
 * The value of a JSON body, once its text is known to be within `MAX_JSON_DEPTH` and
 * `MAX_JSON_VALUES`: SanhError `bad_request` (400) when it is not JSON or nests deeper,
 * `payload_too_large` (413) when it holds more members and elements.
 */
export function parseBoundedJson(text: string): unknown {
  const shape = jsonShape(text);
  if (shape.depth > MAX_JSON_DEPTH) {
    throw new SanhError('bad_request', `The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`, { details: { maxDepth: MAX_JSON_DEPTH } });
  }
  if (shape.values > MAX_JSON_VALUES) {
    throw new SanhError('payload_too_large', `The body holds more than ${MAX_JSON_VALUES} values (object members and list items together).`, {
      details: { maxValues: MAX_JSON_VALUES },
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SanhError('bad_request', 'The body is not valid JSON.');
  }
}
