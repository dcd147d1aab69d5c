/**
 * Checking what a client sends as a draft's fields, against its form's limits (pure). A draft's
 * fields are a JSON object: field name → any JSON value (text, number, true/false, a list of
 * checked boxes...). In a merge, `null` deletes a field; a value replaces the field's old value
 * whole (RFC 7396 applied at field level).
 */
import type { DraftFormConfig } from '../config/drafts.js';
import { SanhError } from '../platform/errors.js';

/** One field's value as JSON text, and its size in bytes. */
export interface FieldText {
  json: string;
  bytes: number;
}

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}
const BAD_NAME = /[\u0000-\u001f\u007f]/;
const MAX_NAME_LENGTH = 200;

function invalid(message: string, details: Record<string, unknown> = {}): SanhError {
  return new SanhError('invalid_draft', message, { details });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The fields of a body, each as JSON text with its size; `null` (merge only) for a deletion.
 * Throws SanhError `invalid_draft` (422, naming the field) when a name or value breaks the
 * form's rules, and `payload_too_large` (413) when a value, or the whole of a full set of
 * fields, is larger than the form allows. Totals across a merge are the store's to check.
 */
export function checkFields(body: unknown, form: DraftFormConfig, mode: 'replace' | 'merge'): Record<string, FieldText | null> {
  if (!isPlainObject(body)) throw invalid("The draft's fields must be a JSON object of field names and values.");
  const out: Record<string, FieldText | null> = Object.create(null) as Record<string, FieldText | null>;
  let total = 0;
  let count = 0;
  for (const [name, value] of Object.entries(body)) {
    if (name.length === 0 || name.length > MAX_NAME_LENGTH || BAD_NAME.test(name)) {
      throw invalid(`Field names must be 1-${MAX_NAME_LENGTH} characters without control characters.`, { field: name.slice(0, MAX_NAME_LENGTH) });
    }
    if (value === null) {
      if (mode === 'replace') continue;
      out[name] = null;
      continue;
    }
    const json = JSON.stringify(value);
    const bytes = utf8Length(json);
    if (bytes > form.maxFieldBytes) {
      throw new SanhError('payload_too_large', `The field "${name}" is ${bytes} bytes; a field of this form may hold at most ${form.maxFieldBytes}.`, {
        details: { field: name, limit: form.maxFieldBytes },
      });
    }
    out[name] = { json, bytes };
    total += bytes;
    count += 1;
  }
  if (count > form.maxFields)
    throw invalid(`A draft of this form may hold at most ${form.maxFields} fields; this one has ${count}.`, { limit: form.maxFields });
  if (mode === 'replace' && total > form.maxBytes) throw tooLarge(form, total);
  return out;
}

/** The error for a draft whose fields together pass the form's `maxBytes`. */
export function tooLarge(form: DraftFormConfig, bytes: number): SanhError {
  return new SanhError('payload_too_large', `The draft would be ${bytes} bytes; a draft of this form may hold at most ${form.maxBytes}.`, {
    details: { limit: form.maxBytes },
  });
}

/** The error for a draft that would hold more fields than its form allows. */
export function tooManyFields(form: DraftFormConfig, count: number): SanhError {
  return invalid(`A draft of this form may hold at most ${form.maxFields} fields; this change would make ${count}.`, { limit: form.maxFields });
}
