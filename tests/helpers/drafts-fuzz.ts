import fc from 'fast-check';
import { expect } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput, SanhConfig } from '../../src/config/schema.js';
import { createDrafts, type DraftsOptions } from '../../src/drafts/index.js';
import { createMemoryDraftStore } from '../../src/drafts/memory-store.js';
import type { KeyRing } from '../../src/platform/keyring.js';
import { silentLogger, type Logger } from '../../src/platform/logger.js';
import type { OriginClient } from '../../src/proxy/port.js';
import { createWaitingRoom } from '../../src/waiting-room/index.js';
import { createMemoryWaitingRoomStore } from '../../src/waiting-room/memory-store.js';

/*
 * The harness the drafts API and tus fast-check tests share: an app with the drafts mounted (in
 * memory, one room over `/apply`), one draft made through the API, the faults it logged, and the
 * check every generated answer must pass.
 */

/** Header values a client could send: printable ASCII and tabs, at most 40 characters. */
export const headerText = fc.string({ maxLength: 40 }).filter((text) => /^[\t\x20-\x7e]*$/.test(text));

/** The faults an app logged: `last()` names the latest in a failed assertion; `clear()` before each request. */
export interface FaultLog {
  logger: Logger;
  last(): string;
  clear(): void;
}

export function faultLog(): FaultLog {
  let last = '';
  return {
    logger: { ...silentLogger, error: (message, fields) => void (last = `${message} ${JSON.stringify(fields)}`) },
    last: () => last,
    clear: () => void (last = ''),
  };
}

/** A drafts app under fuzzing and the draft it made. */
export interface FuzzedDrafts {
  request(path: string, init: RequestInit): Promise<Response>;
  /** The draft's id, resume code and owner cookie (`name=value`). */
  draft: { id: string; resumeCode: string; cookie: string };
  close(): Promise<void>;
}

export interface FuzzedDraftsOptions {
  keyRing: KeyRing;
  logger: Logger;
  /** The `drafts` section of the configuration. */
  drafts: ConfigInput['drafts'];
  /** The fields of the draft made at the start (form `residence`). */
  fields?: Record<string, unknown>;
  /** More of `createDrafts`' options, given the parsed drafts configuration. */
  with?: (config: SanhConfig['drafts']) => Partial<DraftsOptions>;
}

const origin: OriginClient = { forward: async () => new Response('portal'), close: async () => undefined };

/** An app with the drafts (memory store) behind one room over `/apply`, and one draft of form `residence` made through the API. */
export async function fuzzedDrafts(options: FuzzedDraftsOptions): Promise<FuzzedDrafts> {
  const { keyRing, logger } = options;
  const config = parseConfig({ rooms: [{ id: 'main', match: ['/apply'], maxActive: 10, admitPerMinute: 600 }], drafts: options.drafts });
  const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore(), keyRing });
  await waitingRoom.snapshots.refresh();
  const drafts = createDrafts({ config: config.drafts, store: createMemoryDraftStore(), keyRing, logger, ...options.with?.(config.drafts) });
  const app = createApp({ waitingRoom, drafts, origin, logger });
  const request = (path: string, init: RequestInit) => Promise.resolve(app.request(path, init));
  const created = await request('/_sanh/drafts', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ formId: 'residence', fields: options.fields ?? {} }),
  });
  const view = (await created.json()) as { id: string; resumeCode: string };
  const cookie = created.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  return { request, draft: { id: view.id, resumeCode: view.resumeCode, cookie }, close: () => drafts.close() };
}

/**
 * What every generated request must be answered with: a status from 200 to 599; a JSON error in
 * the uniform shape (`{ error: { code, message } }`), a 5xx only with one of `documented5xx`'s
 * codes; anything else below 500. `text` undefined: an answer without a body (HEAD), which may
 * fail only as a documented 5xx may (503 or 507, never 500, 501, 502 or 504).
 */
export function expectDocumentedAnswer(response: Response, text: string | undefined, fault: string, documented5xx: ReadonlySet<string>): void {
  expect(response.status, fault).toBeGreaterThanOrEqual(200);
  expect(response.status, fault).toBeLessThan(600);
  const type = response.headers.get('content-type') ?? '';
  if (text === undefined) {
    expect([500, 501, 502, 504].includes(response.status), fault).toBe(false);
  } else if (response.status >= 400 && type.includes('application/json')) {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code, fault).toBe('string');
    expect(typeof body.error?.message, fault).toBe('string');
    if (response.status >= 500) expect(documented5xx.has(String(body.error?.code)), fault).toBe(true);
  } else {
    expect(response.status, fault).toBeLessThan(500);
  }
}
