import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { errorMapper, type SanhEnv } from '../platform/http.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger } from '../platform/logger.js';
import { createWaitingRoom } from './index.js';
import { createMemoryWaitingRoomStore } from './memory-store.js';
import { normalisePath, PATH_PRESETS, pathRules, prefixKey, rawPathOf, readPath, type PathRules } from './path-normal.js';
import { createRoomMatcher } from './rooms.js';
import { bypassReason } from './bypass.js';

const { strict, nginx, iis, java } = PATH_PRESETS;

function read(raw: string, rules: PathRules): string {
  const result = normalisePath(raw, rules);
  return result.ok ? `${result.path} ${result.key}` : `refused ${result.reason}`;
}

describe('normalisePath', () => {
  it('forwards RFC 3986 canonical paths: dot segments removed, unreserved escapes decoded, hex in upper case, slashes merged', () => {
    expect(read('/apply/form', strict)).toBe('/apply/form /apply/form');
    expect(read('', strict)).toBe('/ /');
    expect(read('//apply///form//', strict)).toBe('/apply/form/ /apply/form/');
    expect(read('/apply/./form', strict)).toBe('/apply/form /apply/form');
    expect(read('/x/../apply/form', strict)).toBe('/apply/form /apply/form');
    expect(read('/apply/form/.', strict)).toBe('/apply/form/ /apply/form/');
    expect(read('/apply/form/..', strict)).toBe('/apply/ /apply/');
    expect(read('/%61pply/%7Eform', strict)).toBe('/apply/~form /apply/~form');
    expect(read('/a%2Eb', strict)).toBe('/a.b /a.b');
    expect(read('/caf%c3%a9/%3f', strict)).toBe('/caf%C3%A9/%3F /caf%C3%A9/%3F');
    expect(read('/café a"b', strict)).toBe('/caf%C3%A9%20a%22b /caf%C3%A9%20a%22b');
    expect(read('/apply;a=b/form', strict)).toBe('/apply;a=b/form /apply;a=b/form');
  });

  it('keeps escapes of unreserved characters as sent (hex upper-cased) with decodeUnreserved false, and still matches them decoded', () => {
    const rules = pathRules({ decodeUnreserved: false });
    expect(read('/%61pply/form', rules)).toBe('/%61pply/form /apply/form');
  });

  it('keeps "//" with mergeSlashes false (RFC 3986: ".." then removes an empty segment)', () => {
    const rules = pathRules({ mergeSlashes: false });
    expect(read('//apply//form', rules)).toBe('//apply//form //apply//form');
    expect(read('/a//../b', rules)).toBe('/a/b /a/b');
    expect(read('/a//../b', strict)).toBe('/b /b');
  });

  it('refuses spellings whose reading is unclear, in every flavour', () => {
    const cases: [string, string][] = [
      ['/apply%2fform', 'encoded_slash'],
      ['/APPLY%2F', 'encoded_slash'],
      ['/apply%5Cform', 'encoded_backslash'],
      ['/apply%00', 'nul'],
      ['/apply%252Fform', 'double_encoding'],
      ['/apply%25%32%46', 'double_encoding'],
      ['/x/%2e%2e/apply', 'encoded_dot_segment'],
      ['/x/.%2E/apply', 'encoded_dot_segment'],
      ['/%2e/apply', 'encoded_dot_segment'],
      ['/%C0%AE%C0%AE/apply', 'invalid_utf8'],
      ['/%C3', 'invalid_utf8'],
      ['/%ED%A0%80', 'invalid_utf8'],
      ['/%u0061pply', 'bad_percent_encoding'],
      ['/apply%', 'bad_percent_encoding'],
      ['/static/..;/apply', 'dot_segment_parameter'],
      ['/static/.;x/apply', 'dot_segment_parameter'],
      ['/..', 'escapes_root'],
      ['/a/../../apply', 'escapes_root'],
      ['/apply\nx', 'control_character'],
      ['/apply#x', 'bad_character'],
      ['apply', 'not_absolute'],
      [`/${'a'.repeat(9_000)}`, 'too_long'],
    ];
    for (const rules of [strict, nginx, iis, java]) {
      for (const [raw, reason] of cases) expect(read(raw, rules), `${rules.flavour} ${raw}`).toBe(`refused ${reason}`);
    }
  });

  it('refuses a backslash unless the flavour reads it as a slash (iis)', () => {
    expect(read('\\apply\\form', strict)).toBe('refused backslash');
    expect(read('/apply\\form', java)).toBe('refused backslash');
    expect(read('\\apply\\form', iis)).toBe('/apply/form /apply/form');
  });

  it('iis: matches ignoring case and Unicode compatibility forms, trailing dots and spaces; forwards the case as sent', () => {
    expect(read('/APPLY/Form', iis)).toBe('/APPLY/Form /apply/form');
    expect(read('/%EF%BC%A1PPLY', iis)).toBe('/%EF%BC%A1PPLY /apply');
    expect(read('/apply%20/form', iis)).toBe('/apply%20/form /apply/form');
    expect(read('/apply./form', iis)).toBe('/apply./form /apply/form');
    expect(read('/x/.%20/apply', iis)).toBe('refused dot_space_segment');
    expect(read('/x/%EF%BC%8E%EF%BC%8E/apply', iis)).toBe('/x/%EF%BC%8E%EF%BC%8E/apply /apply');
  });

  it('java: matches without ";params" (forwarding them, for ;jsessionid), and refuses an encoded ";"', () => {
    expect(read('/apply;jsessionid=1/form', java)).toBe('/apply;jsessionid=1/form /apply/form');
    expect(read('/;x/apply', java)).toBe('/;x/apply /apply');
    expect(read('/apply%3Bx/form', java)).toBe('refused encoded_semicolon');
    expect(read('/apply%3Bx/form', strict)).toBe('/apply%3Bx/form /apply%3Bx/form');
  });

  it('is idempotent on what it forwards', () => {
    for (const raw of ['//a/./b/../c;d/%7e/%c3%a9/', '/APPLY/%EF%BC%A1', '\\x\\y']) {
      for (const rules of [strict, iis, java, pathRules({ decodeUnreserved: false, mergeSlashes: false })]) {
        const once = normalisePath(raw, rules);
        if (!once.ok) continue;
        expect(normalisePath(once.path, rules), `${rules.flavour} ${raw}`).toEqual(once);
      }
    }
  });
});

describe('pathRules and prefixes', () => {
  it('applies overrides on the flavour preset (default strict)', () => {
    expect(pathRules()).toEqual(strict);
    expect(pathRules({ flavour: 'java', caseInsensitive: true })).toEqual({ ...java, caseInsensitive: true });
    expect(pathRules({ flavour: 'iis', backslashAsSlash: false }).backslashAsSlash).toBe(false);
  });

  it('reads room prefixes the way paths are read, without the trailing slash', () => {
    expect(prefixKey('/Apply/', iis)).toBe('/apply');
    expect(prefixKey('/apply/', strict)).toBe('/apply');
    expect(prefixKey('/', strict)).toBe('/');
    expect(prefixKey('/%61pply', strict)).toBe('/apply');
    expect(prefixKey('/a%2Fb', strict)).toBeUndefined();
  });

  it('names a room prefix the flavour cannot read at config load', () => {
    const rooms = [{ id: 'a', match: ['/x/%2e%2e/apply'], maxActive: 1, admitPerMinute: 1 }];
    expect(() => parseConfig({ rooms })).toThrow(/rooms\[0\]\.match\[0\]: is not a plain path under origin\.pathNormalization \(encoded_dot_segment\)/);
    expect(() => parseConfig({ rooms: [{ ...rooms[0], match: ['/apply'] }], origin: { pathNormalization: { flavour: 'apache' } } })).toThrow(
      /origin\.pathNormalization\.flavour/,
    );
  });

  it('takes the path of a request URL as sent', () => {
    expect(rawPathOf('http://h:8080/a%2Fb/?x=1#f')).toBe('/a%2Fb/');
    expect(rawPathOf('http://h')).toBe('/');
    expect(rawPathOf('https://h/a#f?x')).toBe('/a');
  });

  it('reads a canonical path leniently for the ambiguity check', () => {
    expect(readPath('/APPLY;x/Form./', { fold: true, stripParameters: true, windows: true, mergeSlashes: true })).toEqual({
      ok: true,
      key: '/apply/form/',
      dots: false,
    });
    expect(readPath('/a/%EF%BC%8E%EF%BC%8E/b', { fold: true, stripParameters: false, windows: false, mergeSlashes: true })).toEqual({
      ok: true,
      key: '/b',
      dots: true,
    });
  });
});

describe('room matching on the read path', () => {
  const config = parseConfig({
    rooms: [
      { id: 'apply', match: ['/apply'], maxActive: 1, admitPerMinute: 60 },
      { id: 'root', match: ['/'], maxActive: 1, admitPerMinute: 60 },
      { id: 'tax', match: ['/Thue/'], maxActive: 1, admitPerMinute: 60, hosts: ['portal.gov.vn'] },
    ],
  });

  function roomOf(raw: string, rules: PathRules, host?: string): string {
    const result = createRoomMatcher(config.rooms, rules).resolve(host, raw);
    return result.ok ? (result.room?.id ?? 'none') : `refused ${result.reason}`;
  }

  it('strict: a spelling that a lenient origin reads in another room is refused, whatever the case of the prefix', () => {
    expect(roomOf('/APPLY/form', strict)).toBe('refused ambiguous_room');
    expect(roomOf('/apply;x/form', strict)).toBe('refused ambiguous_room');
    expect(roomOf('/apply./form', strict)).toBe('refused ambiguous_room');
    expect(roomOf('/apply/Form', strict)).toBe('apply');
    expect(roomOf('/Other;x/Page.', strict)).toBe('root');
    expect(roomOf('/Thue', strict, 'portal.gov.vn')).toBe('tax');
    expect(roomOf('/thue/x', strict, 'portal.gov.vn')).toBe('refused ambiguous_room');
    expect(roomOf('/thue/x', strict, 'other.gov.vn')).toBe('root');
  });

  it('bypass paths are matched on the read path, and no spelling of a gated page reaches one', () => {
    const rooms = parseConfig({ rooms: [{ id: 'apply', match: ['/apply'], maxActive: 1, admitPerMinute: 60, bypass: { paths: ['/apply/static'] } }] }).rooms;
    const bypassed = (raw: string, rules: PathRules): string => {
      const result = createRoomMatcher(rooms, rules).resolve(undefined, raw);
      if (!result.ok) return `refused ${result.reason}`;
      return result.room
        ? (bypassReason(result.room, { method: 'GET', path: result.key, clientAddress: undefined, header: () => undefined }) ?? 'queued')
        : 'none';
    };
    // IIS reads fullwidth dots as "..": /apply/form, a gated page.
    expect(bypassed('/apply/static/%EF%BC%8E%EF%BC%8E/form', strict)).toBe('refused ambiguous_dot_segment');
    expect(bypassed('/apply/static/%EF%BC%8E%EF%BC%8E/form', iis)).toBe('queued');
    expect(bypassed('/apply/static/..;/form', java)).toBe('refused dot_segment_parameter');
    expect(bypassed('/apply/static/../form', strict)).toBe('queued');
    expect(bypassed('//apply//static/x.css', strict)).toBe('path');
    expect(bypassed('/APPLY/STATIC/x.css', iis)).toBe('path');
    expect(bypassed('/apply/static;v=2/x.css', java)).toBe('path');
  });

  it("nginx, iis, java: the flavour's own reading decides", () => {
    expect(roomOf('/APPLY/form', nginx)).toBe('root');
    expect(roomOf('/APPLY/form', iis)).toBe('apply');
    expect(roomOf('/thue/x', iis, 'portal.gov.vn')).toBe('tax');
    expect(roomOf('/apply;x/form', java)).toBe('apply');
    expect(roomOf('/APPLY/form', java)).toBe('root');
  });
});

describe('the gate reads the path', () => {
  function app(flavour: 'strict' | 'iis') {
    const config = parseConfig({
      rooms: [{ id: 'apply', match: ['/apply'], maxActive: 1, admitPerMinute: 60, mode: 'queue-all' }],
      origin: { pathNormalization: { flavour } },
    });
    const waitingRoom = createWaitingRoom({
      rooms: config.rooms,
      paths: config.origin.pathNormalization,
      store: createMemoryWaitingRoomStore(),
      keyRing: parseKeyRing(`k:${'g'.repeat(40)}`),
      logger: silentLogger,
    });
    const hono = new Hono<SanhEnv>();
    hono.onError(errorMapper(silentLogger));
    hono.route('/_sanh', waitingRoom.routes);
    hono.use('*', waitingRoom.gate);
    hono.all('*', (c) => c.text(`origin gets ${c.get('sanhPath')}`));
    return hono;
  }
  const json = { headers: { accept: 'application/json' } };

  it('answers 400 ambiguous_path, in the uniform error shape with the reason, for a refused spelling', async () => {
    const answer = await app('strict').request('http://t/APPLY/form', json);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({
      reason: 'ambiguous_room',
      error: { code: 'ambiguous_path', message: expect.stringContaining('another room') },
    });
    expect(await (await app('strict').request('http://t/apply%2Fform', json)).json()).toMatchObject({
      reason: 'encoded_slash',
      error: { code: 'ambiguous_path' },
    });
  });

  it("refuses another spelling of Sảnh's own paths that reached the gate, and passes the canonical one", async () => {
    expect((await app('strict').request('http://t//_sanh/status', json)).status).toBe(400);
    expect((await app('iis').request('http://t/_SANH/live', json)).status).toBe(400);
    const other = await app('strict').request('http://t//other//page');
    expect(await other.text()).toBe('origin gets /other/page');
  });

  it('seats what the iis flavour reads as /apply', async () => {
    const answer = await app('iis').request('http://t/APPLY/form', json);
    expect({ status: answer.status, room: answer.headers.get('sanh-room'), state: answer.headers.get('sanh-state') }).toEqual({
      status: 503,
      room: 'apply',
      state: 'queued',
    });
  });
});
