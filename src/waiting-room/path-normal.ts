import type { PathFlavour, PathNormalizationConfig } from '../config/paths.js';

/**
 * Request paths, read the way the origin reads them (issue 17: a full room on `/apply` was
 * skipped by `/APPLY/form`, `//apply/form`, `/apply;jsessionid=1/form`, ...).
 *
 * `normalisePath` turns the path a visitor sent into two strings: `path`, the canonical spelling
 * Sảnh forwards to the origin (RFC 3986: dot segments removed, escapes of unreserved characters
 * decoded, hex in upper case, slashes merged), and `key`, the origin's reading of that path under
 * the flavour's rules (case folded, `;params` dropped, ...), which rooms are matched on. A spelling
 * whose reading is unclear (an encoded slash, an encoded dot segment, `%00`, double encoding,
 * malformed UTF-8, a path above the root) is refused instead. Pure; see docs/paths.md.
 */

/** The rules of one origin flavour, with every override applied. */
export interface PathRules {
  flavour: PathFlavour;
  /** Match ignoring case and Unicode compatibility forms (NFKC: fullwidth `ＡPPLY` is `apply`). */
  caseInsensitive: boolean;
  /** `//` is `/`. */
  mergeSlashes: boolean;
  /** `;params` of each segment are ignored when matching (and `%3B` is refused). */
  stripPathParameters: boolean;
  /** Escaped unreserved characters are forwarded decoded. Matching always reads them decoded. */
  decodeUnreserved: boolean;
  /** A backslash is a slash (else refused). */
  backslashAsSlash: boolean;
  /** Trailing dots and spaces of a segment are ignored when matching (Windows file names). */
  windowsSegments: boolean;
  /** Refuse a spelling that a lenient origin (any of the readings above) would put in another room. */
  refuseAmbiguous: boolean;
}

const BASE: Omit<PathRules, 'flavour'> = {
  caseInsensitive: false,
  mergeSlashes: true,
  stripPathParameters: false,
  decodeUnreserved: true,
  backslashAsSlash: false,
  windowsSegments: false,
  refuseAmbiguous: false,
};

/** The flavour presets. */
export const PATH_PRESETS: Readonly<Record<PathFlavour, Readonly<PathRules>>> = {
  strict: { ...BASE, flavour: 'strict', refuseAmbiguous: true },
  nginx: { ...BASE, flavour: 'nginx' },
  iis: { ...BASE, flavour: 'iis', caseInsensitive: true, backslashAsSlash: true, windowsSegments: true },
  java: { ...BASE, flavour: 'java', stripPathParameters: true },
};

/** The rules `origin.pathNormalization` asks for: its flavour's preset with its overrides (absent: strict). */
export function pathRules(config?: PathNormalizationConfig): PathRules {
  const preset = PATH_PRESETS[config?.flavour ?? 'strict'];
  const rules: PathRules = { ...preset };
  for (const name of [
    'caseInsensitive',
    'mergeSlashes',
    'stripPathParameters',
    'decodeUnreserved',
    'backslashAsSlash',
    'windowsSegments',
    'refuseAmbiguous',
  ] as const) {
    const value = config?.[name];
    if (value !== undefined) rules[name] = value;
  }
  return rules;
}

/** Why a path was refused (the `reason` beside a 400 `ambiguous_path`). */
export type PathRefusal =
  | 'not_absolute'
  | 'too_long'
  | 'control_character'
  | 'bad_character'
  | 'bad_percent_encoding'
  | 'invalid_utf8'
  | 'nul'
  | 'encoded_slash'
  | 'encoded_backslash'
  | 'backslash'
  | 'double_encoding'
  | 'encoded_semicolon'
  | 'encoded_dot_segment'
  | 'dot_segment_parameter'
  | 'dot_space_segment'
  | 'escapes_root'
  | 'ambiguous_dot_segment'
  | 'ambiguous_room';

/** What each refusal means, for the visitor's error message. */
export const REFUSAL_TEXT: Readonly<Record<PathRefusal, string>> = {
  not_absolute: 'the path does not start with "/"',
  too_long: 'the path is too long',
  control_character: 'the path holds a control character',
  bad_character: 'the path holds a character no path may hold',
  bad_percent_encoding: 'a "%" is not followed by two hex digits',
  invalid_utf8: 'the escapes are not valid UTF-8 (overlong or cut short)',
  nul: 'the path holds an encoded NUL (%00)',
  encoded_slash: 'the path holds an encoded slash (%2F)',
  encoded_backslash: 'the path holds an encoded backslash (%5C)',
  backslash: 'the path holds a backslash',
  double_encoding: 'the path is encoded twice (%25 followed by hex digits)',
  encoded_semicolon: 'the path holds an encoded ";" (%3B)',
  encoded_dot_segment: 'a segment is an encoded "." or ".."',
  dot_segment_parameter: 'a "." or ".." segment carries ";parameters"',
  dot_space_segment: 'a segment is made of dots and spaces only',
  escapes_root: 'the path climbs above "/"',
  ambiguous_dot_segment: 'another kind of server would read a segment as "." or ".." ("．．", "..;x" spelled in escapes)',
  ambiguous_room: 'another kind of server would read it as a page of another room',
};

/** A request path read: forwarded as `path`, matched as `key`; or refused. */
export type NormalisedPath = { ok: true; path: string; key: string } | { ok: false; reason: PathRefusal };

/** The longest path read; longer ones are refused (no portal page has a longer address). */
export const MAX_PATH_LENGTH = 8_192;

/** A path of plain segments: no escapes, no `;`, no dot segments or trailing dots, single slashes. */
const PLAIN = /^(?:\/[\w\-~!$&'()*+,=:@]+(?:\.[\w\-~!$&'()*+,=:@]+)*)*\/?$/;

const HEX = '0123456789ABCDEF';

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function hexValue(code: number): number {
  return code <= 0x39 ? code - 0x30 : (code | 0x20) - 0x57;
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

/** ASCII a path may hold as it is: unreserved, sub-delims, `:`, `@`, `/`, and `[]^|` (which browsers send unescaped). */
function isLiteral(code: number): boolean {
  return isUnreserved(code) || "!$&'()*+,;=:@/[]^|".includes(String.fromCharCode(code));
}

/** ASCII a browser escapes in a path (WHATWG path percent-encode set, less `#` and `?`): escaped when sent raw. */
const ESCAPED_RAW = ' "<>`{}';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/** One byte of the path: `escaped` when it was (or must be) sent as `%XX`. */
interface Unit {
  byte: number;
  escaped: boolean;
}

/** The path as bytes, or why it cannot be one. */
function unitsOf(raw: string, rules: PathRules): Unit[] | PathRefusal {
  const units: Unit[] = [];
  let nonAscii = false;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25) {
      const high = raw.charCodeAt(i + 1);
      const low = raw.charCodeAt(i + 2);
      if (!isHexDigit(high) || !isHexDigit(low)) return 'bad_percent_encoding';
      const byte = hexValue(high) * 16 + hexValue(low);
      if (byte >= 0x80) nonAscii = true;
      units.push({ byte, escaped: true });
      i += 2;
    } else if (code < 0x20 || code === 0x7f) {
      return 'control_character';
    } else if (code === 0x5c) {
      if (!rules.backslashAsSlash) return 'backslash';
      units.push({ byte: 0x2f, escaped: false });
    } else if (code < 0x80) {
      if (isLiteral(code)) units.push({ byte: code, escaped: false });
      else if (ESCAPED_RAW.includes(raw[i] as string)) units.push({ byte: code, escaped: true });
      else return 'bad_character';
    } else {
      const point = raw.codePointAt(i) as number;
      if (point >= 0xd800 && point <= 0xdfff) return 'invalid_utf8';
      if (point > 0xffff) i++;
      for (const byte of utf8.encode(String.fromCodePoint(point))) units.push({ byte, escaped: true });
    }
  }
  if (nonAscii) {
    try {
      strictUtf8.decode(Uint8Array.from(units, (unit) => unit.byte));
    } catch {
      return 'invalid_utf8';
    }
  }
  return units;
}

/** The first refusal the escapes of the path earn. */
function escapeRefusal(units: readonly Unit[], rules: PathRules): PathRefusal | undefined {
  for (let i = 0; i < units.length; i++) {
    const unit = units[i] as Unit;
    if (!unit.escaped) continue;
    if (unit.byte === 0x00) return 'nul';
    if (unit.byte === 0x2f) return 'encoded_slash';
    if (unit.byte === 0x5c) return 'encoded_backslash';
    if (unit.byte === 0x3b && rules.stripPathParameters) return 'encoded_semicolon';
    if (unit.byte === 0x25 && isHexDigit(units[i + 1]?.byte ?? 0) && isHexDigit(units[i + 2]?.byte ?? 0)) return 'double_encoding';
  }
  return undefined;
}

function render(units: readonly Unit[], decodeUnreserved: boolean): string {
  let text = '';
  for (const { byte, escaped } of units) {
    if (!escaped || (decodeUnreserved && isUnreserved(byte))) text += String.fromCharCode(byte);
    else text += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return text;
}

/** `.` or `..` (1 or 2), or 0, for a segment's bytes. */
function dotCount(units: readonly Unit[]): number {
  if (units.length === 0 || units.length > 2) return 0;
  return units.every((unit) => unit.byte === 0x2e) ? units.length : 0;
}

/** The forwarded spelling of a path: segments, dot segments removed, slashes merged (by the rules). */
function canonical(units: readonly Unit[], rules: PathRules): { path: string } | PathRefusal {
  const segments: Unit[][] = [];
  let current: Unit[] = [];
  for (let i = 1; i < units.length; i++) {
    const unit = units[i] as Unit;
    if (unit.byte === 0x2f && !unit.escaped) {
      segments.push(current);
      current = [];
    } else current.push(unit);
  }
  segments.push(current);
  const out: string[] = [];
  let trailing = false;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as Unit[];
    const last = index === segments.length - 1;
    const dots = dotCount(segment);
    if (dots > 0) {
      if (segment.some((unit) => unit.escaped)) return 'encoded_dot_segment';
      if (dots === 2) {
        if (out.length === 0) return 'escapes_root';
        out.pop();
      }
      if (last) trailing = true;
      continue;
    }
    const semicolon = segment.findIndex((unit) => unit.byte === 0x3b && !unit.escaped);
    if (semicolon >= 0 && dotCount(segment.slice(0, semicolon)) > 0) return 'dot_segment_parameter';
    if (segment.length === 0 && (last || rules.mergeSlashes)) {
      if (last) trailing = true;
      continue;
    }
    out.push(render(segment, rules.decodeUnreserved));
  }
  return { path: `/${out.join('/')}${trailing && out.length > 0 ? '/' : ''}` };
}

/** How a path is read for matching. */
export interface PathReading {
  fold: boolean;
  stripParameters: boolean;
  windows: boolean;
  mergeSlashes: boolean;
}

/**
 * The readings `refuseAmbiguous` compares with: a Windows server's (case and compatibility forms
 * folded, trailing dots and spaces dropped), a servlet container's (`;params` dropped), and both
 * at once (a servlet container on Windows). Each is checked on its own: together they can hide
 * each other (`/apply/．．;x` is `/` with both, `/apply/..;x` to IIS).
 */
export const LENIENT_READINGS: readonly Readonly<PathReading>[] = [
  { fold: true, stripParameters: false, windows: true, mergeSlashes: true },
  { fold: false, stripParameters: true, windows: false, mergeSlashes: true },
  { fold: true, stripParameters: true, windows: true, mergeSlashes: true },
];

/** The reading of a flavour's rules. */
export function readingOf(rules: PathRules): PathReading {
  return { fold: rules.caseInsensitive, stripParameters: rules.stripPathParameters, windows: rules.windowsSegments, mergeSlashes: rules.mergeSlashes };
}

const ESCAPED_UNRESERVED = /%(?:[46][1-9A-F]|[57][0-9A]|3[0-9]|2D|2E|5F|7E)/gi;

/**
 * How an origin reading `reading` reads a canonical path (one `normalisePath` forwards): escaped
 * unreserved characters decoded; with `fold`, every escape decoded, NFKC, lower case and `\` as `/`;
 * `;params` dropped, trailing dots and spaces dropped, slashes merged, then dot segments removed
 * (a fold can make new ones: `．．` is `..`; `dots` tells that one was removed). A segment of dots
 * and spaces only, or a path above the root, is refused.
 */
export function readPath(path: string, reading: PathReading): { ok: true; key: string; dots: boolean } | { ok: false; reason: PathRefusal } {
  let text = path.replace(ESCAPED_UNRESERVED, (escaped) => String.fromCharCode(Number.parseInt(escaped.slice(1), 16)));
  if (reading.fold) {
    try {
      text = decodeURIComponent(text).normalize('NFKC').toLowerCase().replace(/\\/g, '/');
    } catch {
      return { ok: false, reason: 'invalid_utf8' };
    }
  }
  const segments = text.split('/');
  segments.shift();
  const out: string[] = [];
  let trailing = false;
  let dots = false;
  for (let index = 0; index < segments.length; index++) {
    const last = index === segments.length - 1;
    let segment = segments[index] as string;
    if (reading.stripParameters) {
      const semicolon = segment.indexOf(';');
      if (semicolon >= 0) segment = segment.slice(0, semicolon);
    }
    if (reading.windows && segment !== '.' && segment !== '..') {
      const spaces = reading.fold ? /[. ]+$/ : /(?:\.|%20)+$/;
      const trimmed = segment.replace(spaces, '');
      if (trimmed === '' && segment !== '') return { ok: false, reason: 'dot_space_segment' };
      segment = trimmed;
    }
    if (segment === '.' || segment === '..') {
      dots = true;
      if (segment === '..') {
        if (out.length === 0) return { ok: false, reason: 'escapes_root' };
        out.pop();
      }
      if (last) trailing = true;
      continue;
    }
    if (segment === '' && (last || reading.mergeSlashes)) {
      if (last) trailing = true;
      continue;
    }
    out.push(segment);
  }
  return { ok: true, key: `/${out.join('/')}${trailing && out.length > 0 ? '/' : ''}`, dots };
}

/**
 * Reads a request path (without its query) by `rules`: `path` is what to forward to the origin,
 * `key` what to match rooms on; or the reason the spelling is refused. Never throws; idempotent
 * (`normalisePath(path)` gives the same `path` and `key`).
 */
export function normalisePath(rawPath: string, rules: PathRules): NormalisedPath {
  if (rawPath.length > MAX_PATH_LENGTH) return { ok: false, reason: 'too_long' };
  const raw = rawPath === '' ? '/' : rawPath;
  if (raw[0] === '\\' && !rules.backslashAsSlash) return { ok: false, reason: 'backslash' };
  if (raw[0] !== '/' && raw[0] !== '\\') return { ok: false, reason: 'not_absolute' };
  if (PLAIN.test(raw)) return { ok: true, path: raw, key: rules.caseInsensitive ? raw.toLowerCase() : raw };
  const units = unitsOf(raw, rules);
  if (typeof units === 'string') return { ok: false, reason: units };
  const refused = escapeRefusal(units, rules);
  if (refused) return { ok: false, reason: refused };
  const made = canonical(units, rules);
  if (typeof made === 'string') return { ok: false, reason: made };
  const { path } = made;
  const read = readPath(path, readingOf(rules));
  return read.ok ? { ok: true, path, key: read.key } : read;
}

/** True when a canonical path might read differently under `LENIENT_READINGS` (case, `;`, escapes, trailing dots). */
export function mayReadLeniently(path: string): boolean {
  return /[A-Z;%]|\.(?:\/|$)/.test(path);
}

/** A room `match` prefix read by `reading`, without its trailing slash (`/apply/` covers `/apply` too); `undefined` if it cannot be read. */
export function prefixKey(prefix: string, rules: PathRules, reading: PathReading = readingOf(rules)): string | undefined {
  const normal = normalisePath(prefix, rules);
  if (!normal.ok) return undefined;
  const read = readPath(normal.path, reading);
  if (!read.ok) return undefined;
  return read.key.length > 1 && read.key.endsWith('/') ? read.key.slice(0, -1) : read.key;
}

/** The path of a request URL as sent (`http://host/a%2Fb?x` → `/a%2Fb`), without query or fragment. */
export function rawPathOf(url: string): string {
  const scheme = url.indexOf('://');
  const start = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  if (start < 0) return '/';
  let end = url.length;
  const query = url.indexOf('?', start);
  if (query >= 0) end = query;
  const hash = url.indexOf('#', start);
  if (hash >= 0 && hash < end) end = hash;
  return url.slice(start, end);
}
