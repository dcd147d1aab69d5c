import { request as httpRequest } from 'node:http';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PathNormalizationConfig } from '../../src/config/paths.js';
import { parseConfig } from '../../src/config/load.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin.js';

/**
 * Issue 17, High 1: a full room on `/apply` was skipped by other spellings of its paths
 * (`/APPLY/form`, `//apply/form`, `/apply;jsessionid=1/form`, ...), which IIS, nginx or a servlet
 * container read as `/apply`. Over real HTTP, with a full room (maxActive 1, one visitor
 * admitted): every spelling is seated in the `/apply` room's line or refused (400), never let
 * through, never gated by another room; and what the origin receives is the normalised path.
 */

const KEYS = parseKeyRing(`k1:${'e'.repeat(40)}`);

/** Spellings that some origin reads as a page under `/apply`. */
const SPELLINGS = [
  '/APPLY/form',
  '/Apply/form',
  '//apply/form',
  '/apply;jsessionid=1/form',
  '/apply/./form',
  '/x/../apply/form',
  '/%61pply/form',
  '/apply%2fform',
  '/apply/form/',
  '/APPLY%2F',
  '/apply;a=b/form',
  '/.//apply',
  '\\apply\\form',
  '/apply%20/form',
  '/%EF%BC%A1PPLY/form',
  '/apply%3Bx/form',
  '/static/..;/apply/form',
  '/x/%2e%2e/apply/form',
  '/apply%252Fform',
  '/x/%C0%AE%C0%AE/apply/form',
  '/apply./form',
  '/apply%00/form',
  '/_sanh/../apply/form',
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with the path sent exactly as written (node:http does not normalise it). */
function get(port: number, path: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => void (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A GET over a raw socket, for a path node:http will not send (raw UTF-8 in the request line). */
function rawGet(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = '';
    socket.on('data', (chunk: Buffer) => void (received += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.connect(port, '127.0.0.1', () =>
      socket.end(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n`, 'utf8')),
    );
  });
}

/** A visitor's cookie jar: keeps what each answer sets (the pass is renewed and rebound as it is used). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(answer: Answer): void {
    const set = answer.headers['set-cookie'];
    for (const line of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair = ''] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      if (/max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(pair.indexOf('=') + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Seated in the `/apply` room's line, or refused with 400: ambiguous_path from Sảnh, or a bare 400
 * from Node's HTTP layer, which refuses a backslash and raw non-ASCII bytes before Sảnh sees them.
 */
function expectSeatedOrRefused(spelling: string, answer: Answer): void {
  const verdict = { spelling, status: answer.status, room: answer.headers['sanh-room'], state: answer.headers['sanh-state'], body: answer.body.slice(0, 200) };
  if (answer.status === 400) {
    if (answer.body !== '') expect(JSON.parse(answer.body), JSON.stringify(verdict)).toMatchObject({ error: { code: 'ambiguous_path' } });
    else expect(/\\|[^\x00-\x7f]/.test(spelling), JSON.stringify(verdict)).toBe(true);
    expect(answer.headers['sanh-state'], JSON.stringify(verdict)).toBeUndefined();
    return;
  }
  expect({ status: answer.status, room: answer.headers['sanh-room'], state: answer.headers['sanh-state'] }, JSON.stringify(verdict)).toEqual({
    status: 503,
    room: 'apply',
    state: 'queued',
  });
}

/**
 * One Sảnh in front of the test origin. `elsewhere`: spellings the flavour's origin reads as
 * another page (so they belong to the room on `/`), with the path the origin must receive.
 */
function scenario(
  title: string,
  options: { rootRoom: boolean; paths?: PathNormalizationConfig; forwarded: [sent: string, received: string][]; elsewhere?: Record<string, string> },
): void {
  const elsewhere = options.elsewhere ?? {};
  const spellings = SPELLINGS.filter((spelling) => !(spelling in elsewhere));
  describe(title, () => {
    let origin: TestOrigin;
    let sanh: NodeSanh;
    const admitted = new Jar();

    beforeAll(async () => {
      origin = await startTestOrigin();
      const rooms: unknown[] = [{ id: 'apply', match: ['/apply'], maxActive: 1, admitPerMinute: 600 }];
      if (options.rootRoom) rooms.push({ id: 'root', match: ['/'], maxActive: 1000, admitPerMinute: 60_000 });
      const config = parseConfig({ rooms, ...(options.paths ? { origin: { pathNormalization: options.paths } } : {}) });
      sanh = await startNodeSanh({ config, keyRing: KEYS, originUrl: origin.url, port: 0, hostname: '127.0.0.1', logger: silentLogger });
      const first = await get(sanh.port, '/apply/form');
      expect(first.headers['sanh-state']).toBe('admitted');
      admitted.take(first);
    });
    afterAll(async () => {
      await sanh?.close();
      await origin?.close();
    });

    it(`seats every one of ${spellings.length + 1} other spellings of /apply in the full /apply room, or refuses it; none reaches the origin`, async () => {
      const before = origin.targets.length;
      for (const spelling of spellings) expectSeatedOrRefused(spelling, await get(sanh.port, spelling));
      expectSeatedOrRefused('/ＡPPLY/form (raw UTF-8)', await rawGet(sanh.port, '/ＡPPLY/form'));
      expect(origin.targets.slice(before)).toEqual([]);
    });

    if (Object.keys(elsewhere).length > 0)
      it('lets the room on / have what this origin reads as another page, forwarded as read', async () => {
        for (const [spelling, received] of Object.entries(elsewhere)) {
          const before = origin.targets.length;
          const answer = await get(sanh.port, spelling);
          expect({ room: answer.headers['sanh-room'], state: answer.headers['sanh-state'] }, spelling).toEqual({ room: 'root', state: 'admitted' });
          expect(origin.targets.slice(before), spelling).toEqual([received]);
        }
      });

    it('forwards the normalised path the room decision read, with the query unchanged', async () => {
      for (const [sent, received] of options.forwarded) {
        const before = origin.targets.length;
        const answer = await get(sanh.port, `${sent}?q=%2F1&b=A`, admitted.header());
        admitted.take(answer);
        expect(answer.headers['sanh-room'], sent).toBe('apply');
        expect(answer.headers['sanh-state'], sent).toBe('admitted');
        expect(origin.targets.slice(before), sent).toEqual([`${received}?q=%2F1&b=A`]);
      }
    });
  });
}

const STRICT_FORWARDS: [string, string][] = [
  ['//apply//form', '/apply/form'],
  ['/%61pply/form', '/apply/form'],
  ['/x/../apply/./form', '/apply/form'],
  ['/apply/%66orm%7e', '/apply/form~'],
  ['/apply/caf%c3%a9', '/apply/caf%C3%A9'],
];

describe('room escape by path spelling (issue 17, real HTTP)', () => {
  scenario('strict (default), no room on /', { rootRoom: false, forwarded: STRICT_FORWARDS });
  scenario('strict (default), another room on /', { rootRoom: true, forwarded: STRICT_FORWARDS });
  scenario('iis flavour, another room on /', {
    rootRoom: true,
    paths: { flavour: 'iis' },
    forwarded: [...STRICT_FORWARDS, ['/APPLY/Form', '/APPLY/Form'], ['/Apply./form', '/Apply./form']],
    elsewhere: { '/apply;jsessionid=1/form': '/apply;jsessionid=1/form', '/apply;a=b/form': '/apply;a=b/form', '/apply%3Bx/form': '/apply%3Bx/form' },
  });
  scenario('java flavour, another room on /', {
    rootRoom: true,
    paths: { flavour: 'java' },
    forwarded: [...STRICT_FORWARDS, ['/apply;jsessionid=1/form', '/apply;jsessionid=1/form']],
    elsewhere: {
      '/APPLY/form': '/APPLY/form',
      '/Apply/form': '/Apply/form',
      '/apply%20/form': '/apply%20/form',
      '/%EF%BC%A1PPLY/form': '/%EF%BC%A1PPLY/form',
      '/apply./form': '/apply./form',
    },
  });
});
